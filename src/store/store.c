/*
 * store.c - the store interface's dispatch helpers and the free functions
 * for what backends hand out.
 */
#include "inkan/store.h"

#include <stdlib.h>

/* ink_store_add - store a new domain */
int ink_store_add(struct ink_store *s, struct ink_vdomain *d, int replace, struct ink_str *err)
{
    return s->ops->add(s, d, replace, err);
}

/* ink_store_get - load one domain */
int ink_store_get(struct ink_store *s, const char *domain, struct ink_vdomain **out,
                  struct ink_str *err)
{
    return s->ops->get(s, domain, out, err);
}

/* ink_store_list - load every domain */
int ink_store_list(struct ink_store *s, struct ink_vdomain ***out, size_t *n,
                   struct ink_str *err)
{
    return s->ops->list(s, out, n, err);
}

/* ink_store_save - write one check's result in one transaction */
int ink_store_save(struct ink_store *s, struct ink_vdomain *d, const struct ink_vchange *changes,
                   size_t nchanges, struct ink_str *err)
{
    return s->ops->save(s, d, changes, nchanges, err);
}

/* ink_store_remove - forget a domain */
int ink_store_remove(struct ink_store *s, const char *domain, struct ink_str *err)
{
    return s->ops->remove(s, domain, err);
}

/* ink_store_due - domains to poll now */
int ink_store_due(struct ink_store *s, int64_t now, char ***names, size_t *n, int64_t *next,
                  struct ink_str *err)
{
    return s->ops->due(s, now, names, n, next, err);
}

/* ink_store_history - a domain's latest state changes */
int ink_store_history(struct ink_store *s, const char *domain, size_t limit,
                      struct ink_store_event **out, size_t *n, struct ink_str *err)
{
    return s->ops->history(s, domain, limit, out, n, err);
}

/* ink_store_free - close */
void ink_store_free(struct ink_store *s)
{
    if (s != NULL)
        s->ops->free(s);
}

/* ink_store_events_free - free history rows */
void ink_store_events_free(struct ink_store_event *ev, size_t n)
{
    size_t i;

    for (i = 0; ev != NULL && i < n; i++) {
        free(ev[i].owner);
        free(ev[i].type);
        free(ev[i].detail);
    }
    free(ev);
}

/* ink_store_names_free - free a name list */
void ink_store_names_free(char **names, size_t n)
{
    size_t i;

    for (i = 0; names != NULL && i < n; i++)
        free(names[i]);
    free(names);
}

/* ink_store_domains_free - free a domain list */
void ink_store_domains_free(struct ink_vdomain **d, size_t n)
{
    size_t i;

    for (i = 0; d != NULL && i < n; i++)
        ink_vdomain_free(d[i]);
    free(d);
}
