/*
 * finding.c - the one finding type (inkan/finding.h): severity names and
 * release.
 */
#include "inkan/finding.h"

#include <stdlib.h>
#include <string.h>

/* ink_severity_name - the severity as written in reports and JSON */
const char *ink_severity_name(enum ink_severity s)
{
    switch (s) {
    case INK_SEV_INFO:
        return "info";
    case INK_SEV_WARNING:
        return "warning";
    case INK_SEV_ERROR:
        return "error";
    }
    return "unknown";
}

/* ink_finding_clear - free the owned strings of f and zero it */
void ink_finding_clear(struct ink_finding *f)
{
    if (f == NULL)
        return;
    free(f->subject);
    free(f->message);
    free(f->fix);
    memset(f, 0, sizeof *f);
    f->offset = -1;
}
