/*
 * evrow_json.c - the recorded inbound evaluations as JSON documents and
 * the times their listings take (evrow_json.h), shared by `inkan
 * evaluations list --json` (evaluations.c) and GET /api/evaluations
 * (serve_eval.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evrow_json.h"

/* cli_ev_time_parse - seconds since 1970, YYYY-MM-DD or
 * YYYY-MM-DDTHH:MM:SSZ (UTC) into *out; -1 when it is none of them */
int cli_ev_time_parse(const char *s, int64_t *out)
{
    struct tm tm;
    char *end;
    long long v;
    const char *e;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == 0 && end != s && *end == '\0' && v >= 0) {
        *out = (int64_t)v;
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    e = strptime(s, "%Y-%m-%d", &tm);
    if (e != NULL && *e == 'T') {
        e = strptime(e + 1, "%H:%M:%S", &tm);
        if (e == NULL || strcmp(e, "Z") != 0)
            return -1;
    } else if (e == NULL || *e != '\0') {
        return -1;
    }
    *out = (int64_t)timegm(&tm);
    return *out < 0 ? -1 : 0;
}

/* cli_ev_time_fmt - t as YYYY-MM-DDTHH:MM:SSZ into the caller's buf */
const char *cli_ev_time_fmt(int64_t t, char *buf)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, CLI_EV_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        (void)snprintf(buf, CLI_EV_TIME_MAX, "%lld", (long long)t);
    return buf;
}

/* cli_evrow_json - one row as a JSON object (empty text as null); the
 * caller owns the reference */
json_t *cli_evrow_json(const struct ink_evrow *r)
{
    json_t *o = json_object(), *dk = json_array(), *pol = json_object();
    char when[CLI_EV_TIME_MAX];
    size_t i;
#define S(v) ((v)[0] != '\0' ? json_string(v) : json_null())

    if (o == NULL || dk == NULL || pol == NULL) {
        json_decref(o);
        json_decref(dk);
        json_decref(pol);
        return NULL;
    }
    json_object_set_new(o, "key", json_string(r->key));
    json_object_set_new(o, "at", json_integer((json_int_t)r->at));
    json_object_set_new(o, "time", json_string(cli_ev_time_fmt(r->at, when)));
    json_object_set_new(o, "queue_id", S(r->queue_id));
    json_object_set_new(o, "message_id", S(r->message_id));
    json_object_set_new(o, "source_ip", S(r->source_ip));
    json_object_set_new(o, "header_from", S(r->header_from));
    json_object_set_new(o, "envelope_from", S(r->envelope_from));
    json_object_set_new(o, "envelope_to", S(r->envelope_to));
    json_object_set_new(o, "spf", json_pack("{s:o,s:o,s:o}", "result", S(r->spf_result),
                                            "domain", S(r->spf_domain), "scope",
                                            S(r->spf_scope)));
    for (i = 0; i < r->ndkim; i++)
        json_array_append_new(dk, json_pack("{s:s,s:s,s:s}", "domain", r->dkim[i].domain,
                                            "selector", r->dkim[i].selector, "result",
                                            r->dkim[i].result));
    json_object_set_new(o, "dkim", dk);
    json_object_set_new(o, "dkim_unlisted", json_integer((json_int_t)r->dkim_unlisted));
    json_object_set_new(o, "dmarc", json_pack("{s:o,s:o,s:o}", "result", S(r->dmarc_result),
                                              "spf", S(r->dmarc_spf), "dkim", S(r->dmarc_dkim)));
    json_object_set_new(o, "disposition", S(r->disposition));
    json_object_set_new(o, "override", S(r->override));
    json_object_set_new(o, "override_comment", S(r->override_comment));
    json_object_set_new(pol, "domain", S(r->policy_domain));
    json_object_set_new(pol, "p", S(r->p));
    json_object_set_new(pol, "sp", S(r->sp));
    json_object_set_new(pol, "np", S(r->np));
    json_object_set_new(pol, "t", S(r->t));
    json_object_set_new(pol, "adkim", S(r->adkim));
    json_object_set_new(pol, "aspf", S(r->aspf));
    json_object_set_new(o, "policy_published", pol);
#undef S
    return o;
}
