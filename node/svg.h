/*
 * node/svg.h — a small SVG writer for the statistics charts: horizontal
 * bar charts and pie charts with labels and percentages.
 *
 * Output is standalone SVG 1.1 (valid XML; every label is escaped) that a
 * browser shows as it is. Colours come from a fixed palette, so the same
 * data gives the same bytes.
 */
#ifndef SIGMESH_SVG_H
#define SIGMESH_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "proto/err.h"

typedef struct svg_slice {
	const char *label;		/* UTF-8, escaped on output */
	uint64_t value;
} svg_slice;

/* Bar chart: one bar per entry, labelled "label  value (p%)". */
int svg_bar_chart(FILE *out, const char *title, const svg_slice *s, size_t n,
    sm_err *err);
/* Pie chart with a legend "label  value (p%)". Zero entries are listed in
 * the legend but get no slice; an all-zero chart says "no data". */
int svg_pie_chart(FILE *out, const char *title, const svg_slice *s, size_t n,
    sm_err *err);

/* Write s to out with XML's five special characters escaped and control
 * characters (which XML 1.0 forbids) replaced by U+FFFD. */
int svg_escape(FILE *out, const char *s);

#endif
