/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_tls — TLS 1.3 with mutual X.509 authentication for the TCP control
 * connections (SPEC §7.4), on OpenSSL's libssl: one context per program
 * (server: anyway-mapd; client: agent, registrar, anyway-ctl) built from the
 * operator's CA, the program's certificate and its key; the common options
 * --ca/--cert/--key/--insecure; the peer identity (subject CN, else first DNS
 * SAN, printable ASCII only); a precise reason for a failed handshake.
 * Both sides require and verify the peer's certificate against the CA. A client
 * also checks the map server's identity: its certificate must name the
 * expected one (--mapd-name, default "mapd") as a DNS SAN, or as its CN when it
 * has no DNS SAN, so that a registrar's or an agent's certificate from the same
 * CA cannot pose as a map server.
 *
 * Contract: a context is used by one thread (the program's loop thread);
 * aw_tls_reload() swaps the underlying SSL_CTX for new connections only
 * (connections already made keep the old one). The per-connection I/O is in
 * aw_conn (non-blocking, on the loop) and aw_tls_blocking_* (anyway-ctl).
 */
#ifndef AW_TLS_H
#define AW_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ssl_st;
struct ssl_ctx_st;
struct aw_linebuf;

struct aw_tls {
	struct ssl_ctx_st *ctx;
	bool server;
	char *ca, *cert, *key;
	char *peer_name;           /* client: the identity the server must have; NULL: any */
	uint64_t handshakes;       /* completed */
	uint64_t handshake_failed; /* failed (refused certificate, not TLS, EOF, ...) */
};

/* The command-line options, shared by the four control programs. */
struct aw_tls_opts {
	const char *ca, *cert, *key;
	const char *mapd_name; /* clients: the map server's expected identity */
	bool insecure;
};
enum {
	AW_TLS_OPT_CA = 0x7101,
	AW_TLS_OPT_CERT,
	AW_TLS_OPT_KEY,
	AW_TLS_OPT_INSECURE,
	AW_TLS_OPT_MAPD_NAME,
};
/* The identity a map server's certificate must carry unless --mapd-name says otherwise. */
#define AW_TLS_DEFAULT_MAPD_NAME "mapd"
#define AW_TLS_NAME_MAX          253
/* getopt_long entries for the five options (include <getopt.h> first). */
#define AW_TLS_LONGOPTS                                                                    \
	{"ca", required_argument, NULL, AW_TLS_OPT_CA},                                    \
		{"cert", required_argument, NULL, AW_TLS_OPT_CERT},                        \
		{"key", required_argument, NULL, AW_TLS_OPT_KEY},                          \
		{"insecure", no_argument, NULL, AW_TLS_OPT_INSECURE},                      \
		{"mapd-name", required_argument, NULL, AW_TLS_OPT_MAPD_NAME}
#define AW_TLS_USAGE                                                                       \
	"  --ca FILE              the operator's CA certificate(s), PEM: peers must\n"      \
	"                         present a certificate it signed (TLS 1.3, mutual)\n"     \
	"  --cert FILE            this program's certificate, PEM (chain allowed)\n"        \
	"  --key FILE             its private key, PEM\n"                                   \
	"  --insecure             plain TCP instead of TLS: neither authenticated nor\n"    \
	"                         encrypted (tests and loopback demos only)\n"             \
	"  --mapd-name NAME       (programs that connect to map servers) the identity a\n" \
	"                         map server's certificate must carry: a DNS SAN, or the\n"\
	"                         CN of a certificate without DNS SAN (default mapd)\n"
#define AW_TLS_INSECURE_WARNING                                                            \
	"WARNING: --insecure: control traffic is neither authenticated nor encrypted"

/* 1 when c was one of the five options (stored in o), else 0. */
int aw_tls_opt(struct aw_tls_opts *o, int c, const char *arg);
/*
 * After the options: check them and build the context. *out is NULL with
 * --insecure (the warning is printed to stderr). -1 after printing
 * "PROG: why" (missing files, unreadable or bad file with OpenSSL's reason,
 * key not matching the certificate, --insecure with the files): exit 2.
 */
int aw_tls_setup(const char *prog, const struct aw_tls_opts *o, bool server,
		 struct aw_tls **out);

/* Build a context from the three files. NULL with err set ("--cert FILE: why"). */
struct aw_tls *aw_tls_new(bool server, const char *ca, const char *cert, const char *key,
			  char *err, size_t errlen);
/* Client: the identity servers must carry from now on (copied); NULL: no
 * check. -1 when out of memory. aw_tls_new() starts with no check. */
int aw_tls_set_peer_name(struct aw_tls *t, const char *name);
/* Re-read the same three files; on any error the old context stays (-1, err). */
int aw_tls_reload(struct aw_tls *t, char *err, size_t errlen);
void aw_tls_free(struct aw_tls *t);

/* A new SSL on fd in the context's role (accept or connect state). NULL: no memory. */
struct ssl_st *aw_tls_ssl_new(struct aw_tls *t, int fd);
/* The peer certificate's identity into out (CN, else first DNS SAN); 0, or -1
 * when it has neither in printable ASCII (out is then ""). */
int aw_tls_peer_id(struct ssl_st *ssl, char *out, size_t len);
/* Why the last SSL call failed (ret: its return value): a sentence naming the
 * cause (certificate verify failed: ..., not TLS, no certificate, ...), kept
 * in a per-thread buffer until the next call. Empties OpenSSL's error queue. */
const char *aw_tls_reason(struct ssl_st *ssl, int ret, bool handshake);
/* The last reason given by aw_tls_reason() on this thread; set one. */
const char *aw_tls_last_error(void);
void aw_tls_set_error(const char *msg);

/* Blocking helpers for a short-lived client (anyway-ctl): handshake bounded
 * by the socket's SO_RCVTIMEO/SO_SNDTIMEO; 0 or -1 with aw_tls_last_error(). */
int aw_tls_blocking_connect(struct ssl_st *ssl);
int aw_tls_blocking_write_line(struct ssl_st *ssl, const char *buf, size_t len);
/* SSL_read into lb until nothing is pending inside the SSL: AW_LINE_OK / EOF /
 * AGAIN / ERROR (errno EPROTO, aw_tls_last_error()) / TOO_LONG. *want_write
 * is set when OpenSSL must write before it can read on. */
int aw_tls_read(struct ssl_st *ssl, struct aw_linebuf *lb, bool *want_write);

#endif /* AW_TLS_H */
