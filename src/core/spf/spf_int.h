/*
 * spf_int.h - pieces shared between the SPF core files (record
 * parser, macro expander, evaluator); not part of the public API.
 */
#ifndef INKAN_SPF_INT_H
#define INKAN_SPF_INT_H

#include "inkan/spf.h"

/* spf_macro_check_domain - check a domain-spec's macro-string in domain
 * mode (c, r, t refused); *ends_macro tells whether it ends with a
 * macro-expand.  0 or -1 with *err set (offsets relative to spec). */
int spf_macro_check_domain(const char *spec, size_t len, unsigned *flags, int *ends_macro,
                           struct ink_spf_diag *err);

/* spf_toplabel_ok - RFC 7208 toplabel (alphanumerics with a letter, or
 * alphanumerics and inner dashes) */
int spf_toplabel_ok(const char *p, size_t len);

#endif
