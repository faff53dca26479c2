/*
 * test_milter_config.c - the configuration of `inkan milter`
 * (inkan/milter.h): a full file read into every field, relative paths
 * taken from the base directory, each kind of error naming the key and
 * its line, depth and size limits, input without a NUL, the
 * internal-network match, and the evaluations mapping (store, spool and
 * its default, the writer's numbers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "inkan/milter.h"

static struct ink_milter_config *parse(const char *doc, struct ink_str *err)
{
    return ink_milter_config_parse((const uint8_t *)doc, strlen(doc), "/etc/inkan", err);
}

static void test_full(void **state)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_milter_config *c;
    (void)state;

    c = parse("socket: inet:8891@127.0.0.1\n"
              "authserv-id: mx.example.net\n"
              "policy: policy.yaml\n"
              "pid-file: /run/inkan/milter.pid\n"
              "dns:\n  server: 127.0.0.1:53\n  timeout: 3\n"
              "internal-networks: [10.0.0.0/8, 192.0.2.7, '2001:db8::/32']\n"
              "signer-user: inkan\n"
              "quarantine: header\n"
              "mixed-recipients: enforce\n"
              "arc-seal: {domain: Example.NET, selector: arc1, key: keys/arc1.pem}\n"
              "signing:\n"
              "  - {domain: Example.ORG, selector: s1, key: keys/s1.pem}\n"
              "  - domain: example.org\n    selector: s2\n    key: /k/s2.pem\n",
              &err);
    assert_non_null(c);
    assert_string_equal(c->socket, "inet:8891@127.0.0.1");
    assert_string_equal(c->authserv_id, "mx.example.net");
    assert_string_equal(c->policy, "/etc/inkan/policy.yaml");
    assert_string_equal(c->pid_file, "/run/inkan/milter.pid");
    assert_string_equal(c->dns_server, "127.0.0.1:53");
    assert_null(c->dns_zone);
    assert_int_equal(c->dns_timeout_ms, 3000);
    assert_int_equal(c->nnetworks, 3);
    assert_int_equal(c->networks[0].prefix, 8);
    assert_int_equal(c->networks[1].prefix, 32);
    assert_int_equal(c->networks[2].family, 6);
    assert_string_equal(c->signer_user, "inkan");
    assert_int_equal(c->quarantine_header, 1);
    assert_int_equal(c->mixed_enforce, 1);
    assert_non_null(c->arc_seal);
    assert_string_equal(c->arc_seal->domain, "example.net");
    assert_string_equal(c->arc_seal->selector, "arc1");
    assert_string_equal(c->arc_seal->key, "/etc/inkan/keys/arc1.pem");
    assert_int_equal(c->nkeys, 2);
    assert_string_equal(c->keys[0].domain, "example.org");
    assert_string_equal(c->keys[0].key, "/etc/inkan/keys/s1.pem");
    assert_string_equal(c->keys[1].selector, "s2");
    assert_string_equal(c->keys[1].key, "/k/s2.pem");
    assert_int_equal(ink_milter_internal(c, "10.1.2.3"), 1);
    assert_int_equal(ink_milter_internal(c, "11.1.2.3"), 0);
    assert_int_equal(ink_milter_internal(c, "192.0.2.7"), 1);
    assert_int_equal(ink_milter_internal(c, "192.0.2.8"), 0);
    assert_int_equal(ink_milter_internal(c, "2001:db8:1::1"), 1);
    assert_int_equal(ink_milter_internal(c, "2001:db9::1"), 0);
    assert_int_equal(ink_milter_internal(c, ""), 0);
    assert_int_equal(ink_milter_internal(c, "not an ip"), 0);
    ink_milter_config_free(c);
    ink_str_free(&err);
}

static void test_defaults(void **state)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_milter_config *c;
    (void)state;

    c = parse("socket: unix:/run/inkan/milter.sock\n", &err);
    assert_non_null(c);
    assert_null(c->policy);
    assert_null(c->authserv_id);
    assert_int_equal(c->quarantine_header, 0);
    assert_int_equal(c->mixed_enforce, 0); /* split */
    assert_null(c->arc_seal);
    assert_int_equal(c->dns_timeout_ms, INK_MILTER_DNS_TIMEOUT_DEFAULT * 1000);
    assert_int_equal(c->nnetworks, 0);
    assert_int_equal(c->nkeys, 0);
    assert_null(c->rotations);
    assert_int_equal(c->rotation_recheck_s, INK_MILTER_RECHECK_DEFAULT);
    assert_int_equal(ink_milter_internal(c, "127.0.0.1"), 0);
    assert_null(c->ev_store);
    assert_null(c->ev_spool);
    ink_milter_config_free(c);
    ink_str_free(&err);
}

/* evaluations: every key, and the spool's default */
static void test_evaluations(void **state)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_milter_config *c;
    (void)state;

    c = parse("socket: inet:1@h\n"
              "evaluations:\n  store: ev.db\n  spool: /var/spool/inkan/ev.spool\n"
              "  batch-size: 50\n  batch-interval: 20\n  queue: 4096\n  store-wait: 250\n"
              "  retry: 1500\n",
              &err);
    assert_non_null(c);
    assert_string_equal(c->ev_store, "/etc/inkan/ev.db");
    assert_string_equal(c->ev_spool, "/var/spool/inkan/ev.spool");
    assert_int_equal(c->ev_batch, 50);
    assert_int_equal(c->ev_interval_ms, 20);
    assert_int_equal(c->ev_queue, 4096);
    assert_int_equal(c->ev_wait_ms, 250);
    assert_int_equal(c->ev_retry_ms, 1500);
    ink_milter_config_free(c);
    c = parse("socket: inet:1@h\nevaluations: {store: /var/lib/inkan/inkan.db}\n", &err);
    assert_non_null(c);
    assert_string_equal(c->ev_spool, "/var/lib/inkan/inkan.db.spool");
    assert_int_equal(c->ev_batch, 0); /* the writer's defaults */
    assert_int_equal(c->ev_wait_ms, 0);
    ink_milter_config_free(c);
    ink_str_free(&err);
}

/* rotations: the store path (relative to the base directory) and how
 * often it is looked at (0: only at start and on SIGHUP) */
static void test_rotations(void **state)
{
    struct ink_str err = INK_STR_INIT;
    struct ink_milter_config *c;
    (void)state;

    c = parse("socket: inet:1@h\nrotations: rot.db\nrotation-recheck: 0\n"
              "signing:\n  - {domain: example.org, selector: s1, key: k}\n", &err);
    assert_non_null(c);
    assert_string_equal(c->rotations, "/etc/inkan/rot.db");
    assert_int_equal(c->rotation_recheck_s, 0);
    assert_int_equal(c->keys[0].inactive, 0);
    ink_milter_config_free(c);
    c = parse("socket: inet:1@h\nrotations: /var/lib/inkan/inkan.db\nrotation-recheck: 86400\n", &err);
    assert_non_null(c);
    assert_string_equal(c->rotations, "/var/lib/inkan/inkan.db");
    assert_int_equal(c->rotation_recheck_s, 86400);
    ink_milter_config_free(c);
    ink_str_free(&err);
}

/* each bad document and the start of its message */
static void test_errors(void **state)
{
    static const struct {
        const char *doc, *want;
    } cases[] = {
        {"policy: p.yaml\n", "1:1: socket: missing"},
        {"socket: tcp:25\n", "1:9: socket: 'tcp:25' is not inet:PORT@HOST or unix:/PATH"},
        {"socket: inet:70000@127.0.0.1\n", "1:9: socket: 'inet:70000@127.0.0.1' is not inet:PORT@HOST"},
        {"socket: unix:relative.sock\n", "1:9: socket: 'unix:relative.sock': a unix socket needs an absolute path"},
        {"socket: inet:1@h\nsocket: inet:2@h\n", "2:1: socket: given twice"},
        {"socket: inet:1@h\nsokcet: x\n", "2:1: sokcet: unknown key"},
        {"socket: inet:1@h\nquarantine: drop\n", "2:13: quarantine: must be hold (Postfix's hold queue) or header"},
        {"socket: inet:1@h\nmixed-recipients: any\n",
         "2:19: mixed-recipients: must be split (one kind of recipient per transaction) or enforce"},
        {"socket: inet:1@h\narc-seal: example.net\n",
         "2:11: arc-seal: must be a mapping {domain, selector, key}"},
        {"socket: inet:1@h\narc-seal: {domain: example.net, key: k}\n",
         "2:11: arc-seal: it needs domain, selector and key"},
        {"socket: inet:1@h\narc-seal: {domain: example.net, selector: 'a b', key: k}\n",
         "2:43: arc-seal.selector: 'a b' is not a selector"},
        {"socket: inet:1@h\narc-seal: {domain: d.example, selector: s, key: k}\n"
         "arc-seal: {domain: d.example, selector: s, key: k}\n",
         "3:1: arc-seal: given twice"},
        {"socket: inet:1@h\ndns:\n  timeout: 0\n", "3:12: dns.timeout: '0' is not a number of seconds"},
        {"socket: inet:1@h\ndns:\n  zone: z\n  server: s\n", "3:3: dns: zone and server cannot be given together"},
        {"socket: inet:1@h\ndns:\n  port: 53\n", "3:3: dns: unknown key 'port'"},
        {"socket: inet:1@h\ndns: [1]\n", "2:6: dns: must be a mapping"},
        {"socket: inet:1@h\ninternal-networks:\n  - 10.0.0.0/33\n",
         "3:5: internal-networks: '10.0.0.0/33' is not ADDRESS[/PREFIX]"},
        {"socket: inet:1@h\ninternal-networks: 10.0.0.0/8\n", "2:20: internal-networks: must be a list"},
        {"socket: inet:1@h\ninternal-networks: [10.0.0.0/8]\ninternal-networks: [192.0.2.0/24]\n",
         "3:20: internal-networks: given twice"},
        {"socket: inet:1@h\ninternal-networks: [[10.0.0.0/8]]\n",
         "2:21: internal-networks: must be a single value"},
        {"socket: inet:1@h\nsigning: {domain: a.example, selector: s1, key: k}\n",
         "2:10: signing: must be a list of {domain, selector, key}"},
        {"socket: inet:1@h\nsigning: [a.example]\n",
         "2:11: signing: each entry is a mapping {domain, selector, key}"},
        {"socket: inet:1@h\nsigning: []\nsigning: []\n", "3:10: signing: given twice"},
        {"socket: inet:1@h\ndns:\n  timeout: 61\n", "3:12: dns.timeout: '61' is not a number of seconds 1-60"},
        {"socket: inet:1@h\ndns:\n  timeout: [1]\n", "3:12: dns.timeout: must be a single value"},
        {"socket: inet:1@h\nsigning:\n  - {domain: example.org, selector: s1}\n",
         "3:5: signing: an entry needs domain, selector and key"},
        {"socket: inet:1@h\nsigning:\n  - {domain: 'bad domain', selector: s1, key: k}\n",
         "3:14: signing.domain: 'bad domain' is not a domain name"},
        {"socket: inet:1@h\nsigning:\n  - {domain: a.example, selector: s1, key: k, alg: rsa}\n",
         "3:47: signing: unknown key 'alg'"},
        {"socket: inet:1@h\nauthserv-id: [a]\n", "2:14: authserv-id: must be a single value"},
        {"socket: inet:1@h\nauthserv-id: \"a\\tb\"\n", "2:14: authserv-id: holds a control character"},
        {"socket: inet:1@h\nrotation-recheck: 86401\n",
         "2:19: rotation-recheck: '86401' is not a number of seconds 0-86400"},
        {"socket: inet:1@h\nrotation-recheck: -1\n", "2:19: rotation-recheck: '-1' is not"},
        {"socket: inet:1@h\nrotations: a\nrotations: b\n", "3:1: rotations: given twice"},
        {"socket: inet:1@h\nrotations: [a]\n", "2:12: rotations: must be a single value"},
        {"- socket\n", "1:1: config: the file must be a mapping"},
        {"socket: [\n", "2:1: YAML:"},
        {"a: &x 1\nsocket: *x\n", "2:9: YAML aliases are not allowed"},
        {"socket: inet:1@h\nsigning:\n  - {domain: [[[x]]]}\n", "3:15: nested deeper than 4 levels"},
        {"socket: inet:1@h\nevaluations: ev.db\n", "2:14: evaluations: must be a mapping"},
        {"socket: inet:1@h\nevaluations:\n  spool: s\n", "3:3: evaluations: store is missing"},
        {"socket: inet:1@h\nevaluations:\n  store: a.db\n  stor: b\n",
         "4:3: evaluations: unknown key 'stor'"},
        {"socket: inet:1@h\nevaluations:\n  store: a.db\n  batch-size: 0\n",
         "4:15: evaluations.batch-size: '0' is not a number of rows 1-1000"},
        {"socket: inet:1@h\nevaluations:\n  store: a.db\n  store-wait: 1s\n",
         "4:15: evaluations.store-wait: '1s' is not a number of milliseconds"},
        {"socket: inet:1@h\nevaluations:\n  store: /a.db\n  spool: /a.db\n",
         "3:3: evaluations.spool: must not be the store's own file"},
        {"socket: inet:1@h\nevaluations: {store: a}\nevaluations: {store: b}\n",
         "3:1: evaluations: given twice"},
    };
    struct ink_str err = INK_STR_INIT;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ink_milter_config *c = parse(cases[i].doc, &err);

        if (c != NULL || strncmp(ink_str_cstr(&err), cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: got %s '%s', wanted '%s'", i, c != NULL ? "a config" : "error",
                     ink_str_cstr(&err), cases[i].want);
    }
    ink_str_free(&err);
}

/* list_doc - "socket" and n entries of the list key, each entry e */
static char *list_doc(const char *key, const char *e, size_t n)
{
    struct ink_str s = INK_STR_INIT;
    size_t i;

    assert_int_equal(ink_str_printf(&s, "socket: inet:1@h\n%s:\n", key), 0);
    for (i = 0; i < n; i++)
        assert_int_equal(ink_str_printf(&s, "  - %s\n", e), 0);
    return s.buf;
}

/* lists: as many entries as the limit are read, one more is refused */
static void test_list_limits(void **state)
{
    static const char key[] = "{domain: a.example, selector: s1, key: /k}";
    struct ink_str err = INK_STR_INIT;
    struct ink_milter_config *c;
    char *doc;
    (void)state;

    doc = list_doc("internal-networks", "192.0.2.0/24", INK_MILTER_NETWORKS_MAX);
    c = parse(doc, &err);
    assert_non_null(c);
    assert_int_equal(c->nnetworks, INK_MILTER_NETWORKS_MAX);
    assert_int_equal(c->networks[INK_MILTER_NETWORKS_MAX - 1].prefix, 24);
    ink_milter_config_free(c);
    free(doc);
    doc = list_doc("internal-networks", "192.0.2.0/24", INK_MILTER_NETWORKS_MAX + 1);
    assert_null(parse(doc, &err));
    assert_string_equal(ink_str_cstr(&err), "3:3: internal-networks: more than 256 entries");
    free(doc);
    doc = list_doc("signing", key, INK_MILTER_KEYS_MAX);
    c = parse(doc, &err);
    assert_non_null(c);
    assert_int_equal(c->nkeys, INK_MILTER_KEYS_MAX);
    assert_string_equal(c->keys[INK_MILTER_KEYS_MAX - 1].selector, "s1");
    ink_milter_config_free(c);
    free(doc);
    doc = list_doc("signing", key, INK_MILTER_KEYS_MAX + 1);
    assert_null(parse(doc, &err));
    assert_string_equal(ink_str_cstr(&err), "3:3: signing: more than 64 keys");
    free(doc);
    ink_str_free(&err);
}

/* the length is the end; an oversized file is refused before parsing */
static void test_limits(void **state)
{
    struct ink_str err = INK_STR_INIT;
    const char doc[] = "socket: inet:1@h\nsokcet: x\n";
    uint8_t *copy = malloc(16), *big;
    struct ink_milter_config *c;
    (void)state;

    assert_non_null(copy);
    memcpy(copy, doc, 16); /* "socket: inet:1@h" without a NUL */
    c = ink_milter_config_parse(copy, 16, NULL, &err);
    assert_non_null(c);
    assert_string_equal(c->socket, "inet:1@h");
    ink_milter_config_free(c);
    free(copy);
    big = calloc(1, INK_MILTER_CONFIG_SIZE_MAX + 1);
    assert_non_null(big);
    memset(big, ' ', INK_MILTER_CONFIG_SIZE_MAX + 1);
    assert_null(ink_milter_config_parse(big, INK_MILTER_CONFIG_SIZE_MAX + 1, NULL, &err));
    assert_non_null(strstr(ink_str_cstr(&err), "larger than"));
    free(big);
    ink_str_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_rotations),
        cmocka_unit_test(test_evaluations),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_list_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
