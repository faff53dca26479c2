/*
 * fuzz_dkim_sig.c - libFuzzer target for the DKIM-Signature tag-list
 * parser (RFC 6376 section 3.5).  Checks its promises: a result is
 * always returned; a usable signature has every required tag, an h= that
 * names From, an i= inside d=, x= not before t=, and a b= span inside the
 * input; an unusable one says why at an offset inside the input.  The
 * same holds for the value with b= blanked (what the verifier hashes),
 * and parsing is deterministic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inkan/dkim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* die - a broken promise: say which, then crash for libFuzzer */
static void die(const char *what)
{
    fprintf(stderr, "fuzz_dkim_sig: %s\n", what);
    abort();
}

/* domain_within - i_domain is d or a subdomain of it */
static int domain_within(const char *sub, const char *d)
{
    size_t ls = strlen(sub), ld = strlen(d);

    if (ls == ld)
        return strcasecmp(sub, d) == 0;
    return ls > ld && sub[ls - ld - 1] == '.' && strcasecmp(sub + ls - ld, d) == 0;
}

static void check_sig(const struct ink_dkim_sig *s, size_t size)
{
    size_t i;
    int from = 0;

    if (memchr(s->why, '\0', sizeof s->why) == NULL || ink_dkim_alg_name(s->alg) == NULL ||
        ink_dkim_canon_name(s->hcanon) == NULL || ink_dkim_canon_name(s->bcanon) == NULL)
        die("unterminated reason or unnamed algorithm");
    if (!s->ok) {
        if (s->why[0] == '\0' || s->why_off > size)
            die("unusable signature without a reason, or reason offset past the input");
        return;
    }
    if (s->d == NULL || s->s == NULL || s->i == NULL || s->i_domain == NULL || s->h == NULL ||
        s->nh == 0 || s->b == NULL || s->blen == 0 || s->bh == NULL || s->bhlen == 0 ||
        s->b_text == NULL)
        die("usable signature lacks a required tag");
    if (s->alg == INK_DKIM_ALG_UNKNOWN)
        die("usable signature with an unknown algorithm");
    if (s->nh > INK_DKIM_H_NAMES_MAX)
        die("more h= names than INK_DKIM_H_NAMES_MAX");
    for (i = 0; i < s->nh; i++) {
        if (s->h[i] == NULL)
            die("NULL h= name");
        if (strcasecmp(s->h[i], "from") == 0)
            from = 1;
    }
    if (!from)
        die("usable signature whose h= does not name From");
    if (!domain_within(s->i_domain, s->d))
        die("usable signature with i= outside d=");
    {
        /* d= and s= end up in Authentication-Results: only RFC 6376
         * syntax may pass (issue 8) */
        size_t off;
        const char *why;
        if (ink_dkim_domain_check(s->d, strlen(s->d), &off, &why) < 0 ||
            ink_dkim_domain_check(s->i_domain, strlen(s->i_domain), &off, &why) < 0)
            die("usable signature whose d= or i= domain is not a domain-name");
        if (ink_dkim_selector_check(s->s, strlen(s->s), &off, &why) < 0)
            die("usable signature whose s= is not a selector");
    }
    if (s->has_t && s->has_x && s->x < s->t)
        die("usable signature with x= before t=");
    if (s->b_val_start > s->b_val_end || s->b_val_end > size)
        die("b= span outside the input");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_dkim_sig *s, *s2;
    uint8_t *copy;

    /* an exact-size copy so that ASan catches any read past len */
    copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    if (size)
        memcpy(copy, data, size);
    s = ink_dkim_sig_parse(copy, size);
    if (s != NULL) {
        check_sig(s, size);
        s2 = ink_dkim_sig_parse(copy, size);
        if (s2 != NULL) {
            if (s2->ok != s->ok || strcmp(s2->why, s->why) != 0 || s2->why_off != s->why_off)
                die("parsing the same bytes twice gave different results");
            ink_dkim_sig_free(s2);
        }
        if (s->ok) {
            /* blank b= as the verifier does, and parse that too */
            size_t n = size - (s->b_val_end - s->b_val_start);
            uint8_t *blank = malloc(n ? n : 1);
            if (blank != NULL) {
                memcpy(blank, copy, s->b_val_start);
                memcpy(blank + s->b_val_start, copy + s->b_val_end, size - s->b_val_end);
                s2 = ink_dkim_sig_parse(blank, n);
                if (s2 != NULL) {
                    check_sig(s2, n);
                    ink_dkim_sig_free(s2);
                }
                free(blank);
            }
        }
        ink_dkim_sig_free(s);
    }
    ink_dkim_sig_free(NULL);
    free(copy);
    return 0;
}
