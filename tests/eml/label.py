#!/usr/bin/env python3
"""Expected values for a labelled subset of the Phishing Pot emails,
computed independently of sigmesh with Python's email package (sender,
subject, attachment names and SHA-256 of the decoded content). The URL
domains listed are ones read by hand in the raw files; the test checks
that they are among the extracted domains, and the mail type."""
import email, hashlib, json, sys, os
from email import policy
src = sys.argv[1]
names = sys.argv[2:]
for n in names:
    m = email.message_from_binary_file(open(os.path.join(src, n), "rb"), policy=policy.default)
    frm = m["From"].addresses[0].addr_spec if m["From"] and m["From"].addresses else None
    atts = []
    for p in m.walk():
        if p.is_multipart() or p.get_content_maintype() == "message":
            continue
        fn = p.get_filename()
        if fn or p.get_content_disposition() == "attachment" or p.get_content_maintype() != "text":
            data = p.get_payload(decode=True) or b""
            atts.append({"name": fn, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
    exp = {"file": n, "from": frm.lower() if frm else None, "subject": " ".join(str(m["Subject"]).split()) if m["Subject"] else None,
           "attachments": atts,
           "mail_type": "attachment" if atts else None}
    json.dump(exp, open(os.path.join("expected", n.replace(".eml", ".json")), "w"), indent=1, ensure_ascii=False)
    print(n, exp["from"], exp["subject"][:40] if exp["subject"] else None, [(a["name"], a["size"]) for a in atts])
