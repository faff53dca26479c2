/*
 * web_assets.h - the dashboard's files (web/), compiled into the binary
 * by web/embed.py; src/cli/serve.c answers them from memory.
 */
#ifndef INKAN_WEB_ASSETS_H
#define INKAN_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
    const char *path; /* "/index.html" */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
};

/* Ended by an entry with path NULL. */
extern const struct web_asset web_assets[];

#endif
