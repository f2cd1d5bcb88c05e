#!/usr/bin/env python3
"""Writes the crafted test emails in tests/eml/ (run once; the outputs are
committed). Each exercises one thing eml_parse must get right."""
import base64, io, zipfile, hashlib, json

def att(name_hdr, data, mime="application/octet-stream"):
    b = base64.encodebytes(data).decode()
    return (f"--BND\r\nContent-Type: {mime}\r\nContent-Disposition: attachment; {name_hdr}\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{b}\r\n")

HDR = ("Received: from mx1.victim.example (mx1.victim.example [10.0.0.5]) by mail.victim.example; Mon, 5 Jan 2015 10:00:05 +0900\r\n"
       "Received: from sender.attacker.example (sender.attacker.example [203.0.113.9]) by mx1.victim.example for <taro.yamada@victim.example>; Mon, 5 Jan 2015 10:00:00 +0900\r\n"
       "Return-Path: <bounce@attacker.example>\r\n"
       "Delivered-To: taro.yamada@victim.example\r\n"
       "To: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro.yamada@victim.example>\r\n"
       "Date: Mon, 5 Jan 2015 10:00:00 +0900\r\n"
       "Message-ID: <crafted-{n}@attacker.example>\r\n"
       "X-Mailer: Crafted 1.0\r\n"
       "MIME-Version: 1.0\r\n")

def mp(n, frm, subject_hdr, parts, text="See attached.\r\n"):
    return (HDR.format(n=n) + f"From: {frm}\r\nSubject: {subject_hdr}\r\n"
            "Content-Type: multipart/mixed; boundary=\"BND\"\r\n\r\n"
            "--BND\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + text + "\r\n"
            + "".join(parts) + "--BND--\r\n").encode()

out = {}
# 1. ISO-2022-JP subject (請求書の送付), Shift_JIS body with a URL that
#    carries the recipient address (plain, percent- and base64-encoded).
subj = "請求書の送付"
enc = "=?ISO-2022-JP?B?" + base64.b64encode(subj.encode("iso-2022-jp")).decode() + "?="
body_sj = ("山田太郎様\r\n下記よりご確認ください。\r\n"
           "http://phish.attacker.example/login?u=taro.yamada@victim.example&x=1\r\n"
           "http://phish.attacker.example/p?e=taro.yamada%40victim.example\r\n"
           "http://track.attacker.example/t/" + base64.b64encode(b"id=taro.yamada@victim.example").decode() + "\r\n"
           "社内ポータル: https://portal.victim.example/news\r\n").encode("shift_jis")
raw = (HDR.format(n=1) + "From: =?ISO-2022-JP?B?GyRCN0pNfUl0GyhC?= <keiri@yahoo.co.jp>\r\n"
       f"Subject: {enc}\r\nContent-Type: text/plain; charset=Shift_JIS\r\n"
       "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + body_sj
open("jp-iso2022-sjis.eml", "wb").write(raw)

# 2. Office OOXML with vbaProject.bin (macro), double extension name.
zb = io.BytesIO()
with zipfile.ZipFile(zb, "w") as z:
    z.writestr("[Content_Types].xml", "<Types/>")
    z.writestr("word/document.xml", "<w:document/>")
    z.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0VBA")
docm = zb.getvalue()
open("office-macro.eml", "wb").write(mp(2, "Sales <sales@corp-partner.example>", "Order form",
    [att('filename="order.docm"', docm, "application/vnd.ms-word.document.macroEnabled.12")]))

# 3. .lnk attachment (shell link magic), RFC 2231 encoded Japanese name.
lnk = bytes([0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0x00]) + b"\0" * 68
nm = "資料.lnk"
from urllib.parse import quote
open("lnk.eml", "wb").write(mp(3, "<someone@ocn.ne.jp>", "Materials",
    [att("filename*=UTF-8''" + quote(nm.encode()), lnk)]))

# 4. RLO file name: "report\u202Efdp.exe" shows as "reportexe.pdf"; MZ content.
exe = b"MZ\x90\x00" + b"\0" * 60 + b"PE\0\0"
rlo = "report\u202efdp.exe"
open("rlo-exe.eml", "wb").write(mp(4, "Hr Dept <hr.dept@gmail.com>", "Salary revision",
    [att('filename="=?UTF-8?B?' + base64.b64encode(rlo.encode()).decode() + '?="', exe)]))

# 5. Ichitaro .jtd (OLE2 compound file header).
jtd = bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) + b"\0" * 504
open("ichitaro.eml", "wb").write(mp(5, "Research <lab@univ.ac.example>", "Conference program",
    [att('filename="program.jtd"', jtd, "application/x-js-taro")]))

# 6. Reconnaissance: no link, no attachment.
open("recon.eml", "wb").write((HDR.format(n=6) + "From: Tanaka <tanaka.ichiro@gmail.com>\r\nSubject: Question\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n\r\nAre you the person in charge of procurement?\r\n").encode())

# 7. Truncated: headers and the start of a multipart, no end.
open("truncated.eml", "wb").write(mp(7, "<x@gmail.com>", "Cut", [att('filename="a.exe"', exe)])[:900])

for f, d in [("office-macro", docm), ("lnk", lnk), ("rlo-exe", exe), ("ichitaro", jtd), ("truncated", None)]:
    if d is not None:
        out[f] = hashlib.sha256(d).hexdigest()
print(json.dumps(out, indent=1))
