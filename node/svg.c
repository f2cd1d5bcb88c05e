/*
 * node/svg.c — bar and pie charts as SVG (see svg.h).
 *
 * Written with fprintf rather than an XML library: the documents are a
 * handful of fixed elements, and the only untrusted content (labels) goes
 * through svg_escape. Numbers are printed with "%.2f" in the C locale
 * sigmesh runs in.
 */
#include "node/svg.h"

#include <math.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static const char *const s_palette[] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
};
#define PALETTE_N (sizeof s_palette / sizeof *s_palette)

int svg_escape(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		int r;
		switch (*p) {
		case '<': r = fputs("&lt;", out); break;
		case '>': r = fputs("&gt;", out); break;
		case '&': r = fputs("&amp;", out); break;
		case '"': r = fputs("&quot;", out); break;
		case '\'': r = fputs("&apos;", out); break;
		default:
			if (*p < 0x20 && *p != '\t')
				r = fputs("\xef\xbf\xbd", out);
			else
				r = fputc(*p, out);
		}
		if (r == EOF)
			return -1;
	}
	return 0;
}

static uint64_t s_total(const svg_slice *s, size_t n)
{
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++)
		t += s[i].value;
	return t;
}

static double s_pct(uint64_t v, uint64_t total)
{
	return total ? 100.0 * (double)v / (double)total : 0.0;
}

static void s_head(FILE *out, int w, int h, const char *title)
{
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "font-family=\"sans-serif\" font-size=\"13\">\n"
	    "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
	    "<text x=\"12\" y=\"24\" font-size=\"16\" font-weight=\"bold\">",
	    w, h, w, h, w, h);
	svg_escape(out, title);
	fputs("</text>\n", out);
}

static int s_end(FILE *out, sm_err *err)
{
	fputs("</svg>\n", out);
	if (ferror(out) || fflush(out) != 0)
		return sm_fail(err, SM_EIO, "svg: write failed");
	return 0;
}

static void s_legend_text(FILE *out, const svg_slice *s, uint64_t total)
{
	svg_escape(out, s->label);
	fprintf(out, "  %llu (%.1f%%)", (unsigned long long)s->value,
	    s_pct(s->value, total));
}

int svg_bar_chart(FILE *out, const char *title, const svg_slice *s, size_t n,
    sm_err *err)
{
	const int left = 12, bar_x = 240, bar_w = 360, row = 26, top = 44;
	int h = top + (int)n * row + 16;
	uint64_t total = s_total(s, n), max = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i].value > max)
			max = s[i].value;
	s_head(out, bar_x + bar_w + 140, h, title);
	for (size_t i = 0; i < n; i++) {
		int y = top + (int)i * row;
		double w = max ? (double)bar_w * (double)s[i].value / (double)max : 0;
		fprintf(out, "<text x=\"%d\" y=\"%d\">", left, y + 15);
		svg_escape(out, s[i].label);
		fputs("</text>\n", out);
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
		    "fill=\"%s\"/>\n", bar_x, y + 2, w, row - 8,
		    s_palette[i % PALETTE_N]);
		fprintf(out, "<text x=\"%.2f\" y=\"%d\">%llu (%.1f%%)</text>\n",
		    bar_x + w + 6, y + 15, (unsigned long long)s[i].value,
		    s_pct(s[i].value, total));
	}
	return s_end(out, err);
}

int svg_pie_chart(FILE *out, const char *title, const svg_slice *s, size_t n,
    sm_err *err)
{
	const double cx = 150, cy = 170, r = 110;
	const int lx = 300, top = 60, row = 22;
	int h = top + (int)n * row + 40;
	if (h < 320)
		h = 320;
	uint64_t total = s_total(s, n);
	s_head(out, 640, h, title);
	if (total == 0) {
		fprintf(out, "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"%.0f\" "
		    "fill=\"#eeeeee\"/>\n<text x=\"%.0f\" y=\"%.0f\" "
		    "text-anchor=\"middle\">no data (0%%)</text>\n",
		    cx, cy, r, cx, cy);
	}
	double a = -M_PI / 2;		/* start at twelve o'clock */
	for (size_t i = 0; i < n && total; i++) {
		if (s[i].value == 0)
			continue;
		const char *col = s_palette[i % PALETTE_N];
		if (s[i].value == total) {	/* one slice: an arc can't be 360 */
			fprintf(out, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" "
			    "fill=\"%s\"/>\n", cx, cy, r, col);
			break;
		}
		double sweep = 2 * M_PI * (double)s[i].value / (double)total;
		double x0 = cx + r * cos(a), y0 = cy + r * sin(a);
		double x1 = cx + r * cos(a + sweep), y1 = cy + r * sin(a + sweep);
		fprintf(out, "<path d=\"M%.2f,%.2f L%.2f,%.2f A%.2f,%.2f 0 %d 1 "
		    "%.2f,%.2f Z\" fill=\"%s\" stroke=\"#ffffff\"/>\n",
		    cx, cy, x0, y0, r, r, sweep > M_PI ? 1 : 0, x1, y1, col);
		/* percentage inside large enough slices */
		if (sweep > 0.3) {
			double m = a + sweep / 2;
			fprintf(out, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" "
			    "fill=\"#ffffff\">%.0f%%</text>\n", cx + 0.65 * r * cos(m),
			    cy + 0.65 * r * sin(m) + 4, s_pct(s[i].value, total));
		}
		a += sweep;
	}
	for (size_t i = 0; i < n; i++) {
		int y = top + (int)i * row;
		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" "
		    "fill=\"%s\"/>\n<text x=\"%d\" y=\"%d\">", lx, y,
		    s_palette[i % PALETTE_N], lx + 20, y + 12);
		s_legend_text(out, &s[i], total);
		fputs("</text>\n", out);
	}
	return s_end(out, err);
}
