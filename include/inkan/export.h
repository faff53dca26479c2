/*
 * export.h - which symbols libinkan.so exports.
 *
 * The library is built with -fvisibility=hidden (gnu_symbol_visibility in
 * meson.build), so a function is exported only when its declaration is
 * inside INK_API_BEGIN ... INK_API_END.  Every public header wraps its
 * declarations in that pair; internal headers (the *_int.h of each src/core/<module>,
 * src/dns/dnswire.h) do not, so what they declare stays inside the
 * library however it is named.
 *
 * Why a region per header rather than a macro on each declaration: a
 * function added to a public header is exported without anyone having to
 * remember a macro (a forgotten per-declaration macro would go unnoticed:
 * the CLI and the tests link the static library), and a function moved to
 * an internal header is hidden by the move alone.  tests/cli/exports.sh
 * checks the result: every defined dynamic symbol starts with ink_.
 */
#ifndef INKAN_EXPORT_H
#define INKAN_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define INK_API_BEGIN _Pragma("GCC visibility push(default)")
#define INK_API_END _Pragma("GCC visibility pop")
#else
#define INK_API_BEGIN
#define INK_API_END
#endif

#endif
