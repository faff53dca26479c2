/*
 * fuzz_spf_macro.c - libFuzzer target for the SPF macro expander.  The
 * first input byte picks the mode, the address family and whether %{p} is
 * known; the rest is the macro-string (in an exact-size heap buffer).
 * Checks: no crash or over-read; the syntax checker and the expander agree;
 * a domain expansion never exceeds INK_DNS_NAME_MAX unless no dot is left
 * to cut at; a failed expansion leaves the output untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inkan/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ink_spf_macro_ctx c;
    struct ink_spf_diag err;
    struct ink_str out = INK_STR_INIT;
    enum ink_spf_macro_mode mode;
    enum ink_spf_macro_rc rc;
    unsigned flags = 0;
    char *spec;
    int chk;

    if (size < 1)
        return 0;
    mode = (data[0] & 1) ? INK_SPF_MACRO_EXPLAIN : INK_SPF_MACRO_DOMAIN;
    memset(&c, 0, sizeof(c));
    c.sender = "first.last+tag@mail.Example.COM";
    c.sender_len = strlen(c.sender);
    c.local = c.sender;
    c.local_len = 14;
    c.sender_domain = c.sender + 15;
    c.sender_domain_len = c.sender_len - 15;
    c.domain = "sub.example.org";
    c.domain_len = strlen(c.domain);
    c.helo = "helo name with spaces";
    c.helo_len = strlen(c.helo);
    if (data[0] & 4) {
        c.validated = "mx.example.org";
        c.validated_len = strlen(c.validated);
    }
    if (data[0] & 8) {
        c.receiver = "rx.example.net";
        c.receiver_len = strlen(c.receiver);
    }
    c.family = (data[0] & 2) ? 6 : 4;
    memcpy(c.ip, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
    c.now = 1700000000;
    size--;
    spec = malloc(size ? size : 1);
    if (spec == NULL)
        return 0;
    memcpy(spec, data + 1, size);
    if (ink_str_puts(&out, "pre") < 0)
        abort();
    rc = ink_spf_macro_expand(spec, size, mode, &c, &out, &err);
    if (rc == INK_SPF_MACRO_ERROR && (err.off > size || err.reason == NULL))
        abort();
    if (rc != INK_SPF_MACRO_OK && (out.len != 3 || memcmp(out.buf, "pre", 3) != 0))
        abort();
    if (rc == INK_SPF_MACRO_OK && mode == INK_SPF_MACRO_DOMAIN && out.len - 3 > INK_DNS_NAME_MAX &&
        memchr(out.buf + 3, '.', out.len - 3 - INK_DNS_NAME_MAX) != NULL)
        abort();
    chk = ink_spf_macro_check(spec, size, &flags, &err);
    /* a string the checker accepts expands in explanation mode (unless it
     * needs %{p} or grows too long), and one it refuses never expands */
    if (mode == INK_SPF_MACRO_EXPLAIN) {
        if (chk < 0 && rc == INK_SPF_MACRO_OK)
            abort();
        if (chk == 0 && rc == INK_SPF_MACRO_NEED_P && !(flags & INK_SPF_TF_MACRO_P))
            abort();
    }
    ink_str_free(&out);
    free(spec);
    return 0;
}
