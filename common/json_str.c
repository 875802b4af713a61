/* A JSON string literal: what managerctl --json and managerd's HTTP API
 * both write. */
#include "json_str.h"

void
json_put_string(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char) s[i];
		switch (ch) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			// UTF-8 passes through (a str is valid UTF-8); the
			// other controls are escaped.
			if (ch < 0x20 || ch == 0x7f) {
				fprintf(f, "\\u%04x", ch);
			} else {
				fputc(ch, f);
			}
		}
	}
	fputc('"', f);
}
