/* --help lines of managerd and managerctl, made from their tables the
 * same way: "  --name ARG" then the text, wrapped before column 78. */
#ifndef MGR_COMMON_HELP_TEXT_H
#define MGR_COMMON_HELP_TEXT_H

#include <stdio.h>

/* head (indented 2) and text from column col (on the next line when head
 * reaches it), wrapped. */
void help_line(FILE *f, const char *head, const char *text, int col);

#endif
