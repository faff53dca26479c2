/*
 * arc_int.h - pieces shared inside the ARC core (not public API): the
 * header-hash helpers used both by the verifier and the sealer.
 */
#ifndef INKAN_ARC_INT_H
#define INKAN_ARC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "inkan/arc.h"
#include "inkan/mailhdr.h"

/* One ARC field of the header, as the verifier and sealer keep it. */
struct arc_hfield {
    size_t index;              /* in the header (0 = topmost) */
    struct ink_arc_field *f;   /* parsed (owned) */
};

/*
 * arc_blank_b - the raw field fld with the value of its b= tag removed
 * (b_start..b_end are offsets in the field value, which starts at
 * value_off in the raw field), appended to out.  0/-1.
 */
int arc_blank_b(const struct ink_mailhdr_field *fld, size_t b_start, size_t b_end,
                struct ink_str *out);

/*
 * arc_ams_digest - the SHA-256 header digest of an AMS (RFC 8617 4.1.2:
 * as a DKIM-Signature): the fields named by h=, picked bottom-up in h
 * order, then the AMS field itself (raw, at index self) with b= blanked
 * and no final CRLF, all canonicalized by hcanon.  0/-1 (ENOMEM).
 */
int arc_ams_digest(const struct ink_mailhdr *h, const struct ink_arc_field *ams,
                   const uint8_t *self_raw, size_t self_len, uint8_t *digest);

/*
 * arc_seal_digest - the SHA-256 digest of an AS (RFC 8617 5.1.1): for
 * each set from first..last, its AAR, AMS and AS in that order, relaxed;
 * the last AS (raw given as last_as/last_as_len) with b= blanked and no
 * final CRLF.  raws[3*k + kind] hold set first+k's raw fields.  0/-1.
 */
struct arc_raw {
    const uint8_t *p;
    size_t len;
};
int arc_seal_digest(const struct arc_raw *raws, size_t nsets, const uint8_t *last_as,
                    size_t last_as_len, uint8_t *digest);

#endif
