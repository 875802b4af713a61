#include "help_text.h"

#include <string.h>

void
help_line(FILE *f, const char *head, const char *text, int col)
{
	int n = fprintf(f, "  %s", head);
	if (n >= col) {
		fprintf(f, "\n%*s", col, "");
	} else {
		fprintf(f, "%*s", col - n, "");
	}
	int at = col;
	while (*text != '\0') {
		size_t w = strcspn(text, " ");
		if (at > col && at + 1 + (int) w > 78) {
			fprintf(f, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', f);
			at++;
		}
		fwrite(text, 1, w, f);
		at += (int) w;
		text += w;
		text += strspn(text, " ");
	}
	fputc('\n', f);
}
