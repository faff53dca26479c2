/*
 * findings.c - the one printer of findings (inkan/finding.h) for the
 * commands that report them: check, spf lint, provision.  Text for a
 * person (optionally grouped under area headings, errors first, with
 * colour on a terminal) and JSON for programs (one object per finding,
 * always the same keys in the same order).
 */
#include <string.h>

#include "cli.h"

#define CLI_COLOUR_BOLD "\033[1m"
#define CLI_COLOUR_RESET "\033[0m"
/* Column where a finding's message and fix lines start. */
#define CLI_FINDING_INDENT "          "
/* Continuation lines of a multi-line fix, under the first record. */
#define CLI_FIX_INDENT "               "

/* sev_colour - the escape sequence a severity is shown in */
static const char *sev_colour(enum ink_severity s)
{
    return s == INK_SEV_ERROR ? "\033[1;31m" : s == INK_SEV_WARNING ? "\033[1;33m" : "\033[36m";
}

/* shown - whether o lets f through */
static int shown(const struct ink_finding *f, const struct cli_findings_opts *o)
{
    return !(o != NULL && o->no_info && f->severity == INK_SEV_INFO);
}

/* print_one - one finding: "  SEVERITY code (subject)", the message, the fix */
static void print_one(FILE *out, const struct ink_finding *f, const struct cli_findings_opts *o)
{
    int colour = o != NULL && o->colour;
    const char *bold = colour ? CLI_COLOUR_BOLD : "", *reset = colour ? CLI_COLOUR_RESET : "";

    fprintf(out, "  %s%-7s%s %s", colour ? sev_colour(f->severity) : "",
            ink_severity_name(f->severity), reset, f->code);
    if (f->subject != NULL)
        fprintf(out, " (%s)", f->subject);
    fprintf(out, "\n" CLI_FINDING_INDENT "%s\n", f->message);
    if (f->fix != NULL) {
        const char *p = f->fix, *nl;

        /* an informational finding's record is the next step, not a fix */
        fprintf(out, CLI_FINDING_INDENT "%s%s%s ", bold,
                f->severity == INK_SEV_INFO ? "next:" : "fix:", reset);
        while ((nl = strchr(p, '\n')) != NULL) {
            fprintf(out, "%.*s\n" CLI_FIX_INDENT, (int)(nl - p), p);
            p = nl + 1;
        }
        fprintf(out, "%s\n", p);
    }
}

/* cli_print_findings - findings as text (see cli.h) */
void cli_print_findings(FILE *out, const struct ink_finding *f, size_t n,
                        const struct cli_findings_opts *o)
{
    int colour = o != NULL && o->colour;
    const char *bold = colour ? CLI_COLOUR_BOLD : "", *reset = colour ? CLI_COLOUR_RESET : "";
    size_t i, k;
    int sev;

    if (o == NULL || o->areas == NULL) {
        for (i = 0; i < n; i++)
            if (shown(&f[i], o))
                print_one(out, &f[i], o);
        return;
    }
    for (k = 0; o->areas[k] != NULL; k++) {
        int header = 0;

        /* within an area: errors first, then warnings, then info */
        for (sev = INK_SEV_ERROR; sev >= INK_SEV_INFO; sev--) {
            for (i = 0; i < n; i++) {
                if (strcmp(f[i].area, o->areas[k]) != 0 || (int)f[i].severity != sev ||
                    !shown(&f[i], o))
                    continue;
                if (!header) {
                    fprintf(out, "\n%s%s%s\n", bold, o->areas[k], reset);
                    header = 1;
                }
                print_one(out, &f[i], o);
            }
        }
    }
}

/* cli_findings_json - findings as a JSON array (see cli.h) */
json_t *cli_findings_json(const struct ink_finding *f, size_t n,
                          const struct cli_findings_opts *o)
{
    json_t *arr = json_array();
    size_t i;

    if (arr == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        json_t *jf;

        if (!shown(&f[i], o))
            continue;
        jf = json_pack("{s:s, s:s, s:s, s:s}", "severity", ink_severity_name(f[i].severity),
                       "area", f[i].area, "code", f[i].code, "message", f[i].message);
        if (jf == NULL)
            continue;
        json_object_set_new(jf, "subject",
                            f[i].subject ? json_string(f[i].subject) : json_null());
        json_object_set_new(jf, "fix", f[i].fix ? json_string(f[i].fix) : json_null());
        if (o != NULL && o->offsets && f[i].offset >= 0) {
            json_object_set_new(jf, "offset", json_integer((json_int_t)f[i].offset));
            json_object_set_new(jf, "length", json_integer((json_int_t)f[i].length));
        }
        if (o != NULL && o->extra != NULL)
            o->extra(o->extra_arg, i, jf);
        json_array_append_new(arr, jf);
    }
    return arr;
}
