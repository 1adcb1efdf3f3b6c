/* SPDX-License-Identifier: BSD-3-Clause */
#include "aw_tls.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "aw_line.h"

static __thread char last_error[320];

const char *
aw_tls_last_error(void)
{
	return last_error;
}

void
aw_tls_set_error(const char *msg)
{
	snprintf(last_error, sizeof(last_error), "%s", msg);
}

/* OpenSSL's reason for the first queued error, queue emptied. */
static const char *
ossl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (r == NULL)
		snprintf(buf, len, e ? "OpenSSL error %lx" : "unknown error", e);
	else
		snprintf(buf, len, "%s", r);
	ERR_clear_error();
	return buf;
}

/* A file that can be opened, or err set with the system's reason. */
static int
readable(const char *opt, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

static SSL_CTX *
ctx_fail(SSL_CTX *ctx, char *err, size_t errlen, const char *opt, const char *path)
{
	char r[200];

	snprintf(err, errlen, "%s %s: %s", opt, path, ossl_reason(r, sizeof(r)));
	SSL_CTX_free(ctx);
	return NULL;
}

/* The identity a server presented when it was not the expected one (client
 * verify callback, read by name_mismatch() on the same thread). */
static __thread char mismatch_id[AW_TLS_NAME_MAX + 1];
static int cert_id(X509 *x, char *out, size_t len);

static int
client_verify_cb(int ok, X509_STORE_CTX *x)
{
	if (!ok && X509_STORE_CTX_get_error(x) == X509_V_ERR_HOSTNAME_MISMATCH &&
	    cert_id(X509_STORE_CTX_get_current_cert(x), mismatch_id, sizeof(mismatch_id)) < 0)
		snprintf(mismatch_id, sizeof(mismatch_id), "?");
	return ok;
}

static SSL_CTX *
ctx_build(bool server, const char *ca, const char *cert, const char *key, char *err,
	  size_t errlen)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	if (readable("--ca", ca, err, errlen) < 0 || readable("--cert", cert, err, errlen) < 0 ||
	    readable("--key", key, err, errlen) < 0)
		return NULL;
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
		snprintf(err, errlen, "cannot create a TLS 1.3 context");
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		return ctx_fail(ctx, err, errlen, "--ca", ca);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		return ctx_fail(ctx, err, errlen, "--cert", cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 &&
	    ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
		return ctx_fail(ctx, err, errlen, "--key", key);
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "--key %s does not match the certificate in --cert %s", key,
			 cert);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
			   server ? NULL : client_verify_cb);
	if (server) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
		if (names != NULL)
			SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_num_tickets(ctx, 0); /* no resumption: every connection proves its key */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	/* a line protocol: a peer that closes without close_notify just closed */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	ERR_clear_error();
	return ctx;
}

struct aw_tls *
aw_tls_new(bool server, const char *ca, const char *cert, const char *key, char *err,
	   size_t errlen)
{
	struct aw_tls *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->ca = strdup(ca)) == NULL || (t->cert = strdup(cert)) == NULL ||
	    (t->key = strdup(key)) == NULL) {
		snprintf(err, errlen, "out of memory");
		aw_tls_free(t);
		return NULL;
	}
	t->server = server;
	t->ctx = ctx_build(server, ca, cert, key, err, errlen);
	if (t->ctx == NULL) {
		aw_tls_free(t);
		return NULL;
	}
	return t;
}

int
aw_tls_reload(struct aw_tls *t, char *err, size_t errlen)
{
	SSL_CTX *ctx = ctx_build(t->server, t->ca, t->cert, t->key, err, errlen);

	if (ctx == NULL)
		return -1;
	SSL_CTX_free(t->ctx); /* each SSL holds its own reference */
	t->ctx = ctx;
	return 0;
}

void
aw_tls_free(struct aw_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t->ca);
	free(t->cert);
	free(t->key);
	free(t->peer_name);
	free(t);
}

int
aw_tls_set_peer_name(struct aw_tls *t, const char *name)
{
	char *copy = name != NULL ? strdup(name) : NULL;

	if (name != NULL && copy == NULL)
		return -1;
	free(t->peer_name);
	t->peer_name = copy;
	return 0;
}

/* A DNS name or identity: 1..253 of [A-Za-z0-9.-_]. */
static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > AW_TLS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

int
aw_tls_opt(struct aw_tls_opts *o, int c, const char *arg)
{
	switch (c) {
	case AW_TLS_OPT_CA:
		o->ca = arg;
		return 1;
	case AW_TLS_OPT_CERT:
		o->cert = arg;
		return 1;
	case AW_TLS_OPT_KEY:
		o->key = arg;
		return 1;
	case AW_TLS_OPT_INSECURE:
		o->insecure = true;
		return 1;
	case AW_TLS_OPT_MAPD_NAME:
		o->mapd_name = arg;
		return 1;
	default:
		return 0;
	}
}

int
aw_tls_setup(const char *prog, const struct aw_tls_opts *o, bool server, struct aw_tls **out)
{
	char err[512];
	bool any = o->ca || o->cert || o->key;

	*out = NULL;
	if (o->mapd_name != NULL && server) {
		fprintf(stderr, "%s: --mapd-name is for the programs that connect to a map server\n",
			prog);
		return -1;
	}
	if (o->mapd_name != NULL && !valid_name(o->mapd_name)) {
		fprintf(stderr,
			"%s: --mapd-name '%s': expected an identity of 1..%d characters "
			"[A-Za-z0-9._-]\n",
			prog, o->mapd_name, AW_TLS_NAME_MAX);
		return -1;
	}
	if (o->insecure && o->mapd_name != NULL) {
		fprintf(stderr, "%s: --mapd-name needs TLS: it cannot be combined with --insecure\n",
			prog);
		return -1;
	}
	if (o->insecure) {
		if (any) {
			fprintf(stderr, "%s: --insecure cannot be combined with --ca/--cert/--key\n",
				prog);
			return -1;
		}
		fprintf(stderr, "%s: " AW_TLS_INSECURE_WARNING "\n", prog);
		return 0;
	}
	if (!o->ca || !o->cert || !o->key) {
		fprintf(stderr,
			"%s: TLS needs --ca FILE, --cert FILE and --key FILE (missing:%s%s%s); "
			"plain TCP only with --insecure\n",
			prog, o->ca ? "" : " --ca", o->cert ? "" : " --cert", o->key ? "" : " --key");
		return -1;
	}
	*out = aw_tls_new(server, o->ca, o->cert, o->key, err, sizeof(err));
	if (*out == NULL) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	if (!server && aw_tls_set_peer_name(*out, o->mapd_name ? o->mapd_name
							       : AW_TLS_DEFAULT_MAPD_NAME) < 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		aw_tls_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

SSL *
aw_tls_ssl_new(struct aw_tls *t, int fd)
{
	SSL *ssl = SSL_new(t->ctx);

	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	if (t->server) {
		SSL_set_accept_state(ssl);
		return ssl;
	}
	if (t->peer_name != NULL) {
		/* exact names only: an operator's CA has no business with wildcards */
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_WILDCARDS);
		if (SSL_set1_host(ssl, t->peer_name) != 1) {
			SSL_free(ssl);
			ERR_clear_error();
			return NULL;
		}
	}
	SSL_set_connect_state(ssl);
	return ssl;
}

/* s in out when it is 1..len-1 bytes of printable ASCII. */
static int
copy_printable(const ASN1_STRING *s, char *out, size_t len)
{
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);

	if (d == NULL || n <= 0 || (size_t)n >= len)
		return -1;
	for (int i = 0; i < n; i++)
		if (d[i] < 0x20 || d[i] > 0x7e)
			return -1;
	memcpy(out, d, (size_t)n);
	out[n] = '\0';
	return 0;
}

/* The identity of certificate x (CN, else first DNS SAN) into out; 0 or -1. */
static int
cert_id(X509 *x, char *out, size_t len)
{
	int rc = -1;

	out[0] = '\0';
	if (x == NULL)
		return -1;
	X509_NAME *n = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	if (i >= 0)
		return copy_printable(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)), out, len);
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int k = 0; sans != NULL && k < sk_GENERAL_NAME_num(sans); k++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, k);
		if (g->type == GEN_DNS) {
			rc = copy_printable(g->d.dNSName, out, len);
			break;
		}
	}
	GENERAL_NAMES_free(sans);
	if (rc < 0)
		out[0] = '\0';
	return rc;
}

int
aw_tls_peer_id(SSL *ssl, char *out, size_t len)
{
	return cert_id(SSL_get0_peer_certificate(ssl), out, len);
}

static const char *
closed_reason(bool handshake, int sys_errno)
{
	if (sys_errno == EAGAIN || sys_errno == EWOULDBLOCK)
		return "timed out";
	if (sys_errno != 0)
		return strerror(sys_errno);
	return handshake ? "connection closed during the TLS handshake (does the peer use TLS, "
			   "with a certificate from the same CA?)"
			 : "connection closed";
}

static void
describe(SSL *ssl, int ret, bool handshake, char *out, size_t outlen);

/* The server's certificate is from the CA but not the expected identity. */
static void
name_mismatch(SSL *ssl, char *out, size_t outlen)
{
	const char *want = X509_VERIFY_PARAM_get0_host(SSL_get0_param(ssl), 0);

	snprintf(out, outlen,
		 "peer certificate refused: it is '%.80s', not the map server identity '%.80s' "
		 "(--mapd-name)",
		 mismatch_id[0] ? mismatch_id : "?", want ? want : "?");
}

const char *
aw_tls_reason(SSL *ssl, int ret, bool handshake)
{
	char why[sizeof(last_error) - 40];

	describe(ssl, ret, handshake, why, sizeof(why));
	snprintf(last_error, sizeof(last_error), "%s: %s",
		 handshake ? "TLS handshake failed" : "TLS", why);
	ERR_clear_error();
	return last_error;
}

static void
describe(SSL *ssl, int ret, bool handshake, char *out, size_t outlen)
{
	int sys_errno = errno;
	int e = SSL_get_error(ssl, ret);
	unsigned long err = ERR_peek_error();
	int reason = ERR_GET_REASON(err);
	long vr = SSL_get_verify_result(ssl);
	char r[200];

	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && err == 0))
		snprintf(out, outlen, "%s", closed_reason(handshake, sys_errno));
	else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && vr == X509_V_ERR_HOSTNAME_MISMATCH)
		name_mismatch(ssl, out, outlen);
	else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && vr != X509_V_OK)
		snprintf(out, outlen, "peer certificate refused: %s",
			 X509_verify_cert_error_string(vr));
	else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		snprintf(out, outlen, "peer sent no certificate");
	else if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST ||
		 reason == SSL_R_UNKNOWN_PROTOCOL ||
		 reason == SSL_R_PACKET_LENGTH_TOO_LONG)
		snprintf(out, outlen,
			 "not TLS: the peer sent something else (%s; plain TCP with --insecure "
			 "on one side only?)",
			 ossl_reason(r, sizeof(r)));
	else if (reason >= SSL_AD_REASON_OFFSET)
		snprintf(out, outlen, "refused by the peer: %s",
			 ossl_reason(r, sizeof(r)));
	else
		snprintf(out, outlen, "%s", ossl_reason(r, sizeof(r)));
}

int
aw_tls_blocking_connect(SSL *ssl)
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_connect(ssl);

	if (r != 1) {
		aw_tls_reason(ssl, r, true);
		return -1;
	}
	return 0;
}

int
aw_tls_blocking_write_line(SSL *ssl, const char *buf, size_t len)
{
	for (size_t off = 0; off <= len;) {
		const char *p = off < len ? buf + off : "\n";
		int n = off < len ? (int)(len - off > (1u << 30) ? (1u << 30) : len - off) : 1;
		ERR_clear_error();
		int w = SSL_write(ssl, p, n);
		if (w <= 0) {
			aw_tls_reason(ssl, w, false);
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

int
aw_tls_read(SSL *ssl, struct aw_linebuf *lb, bool *want_write)
{
	char buf[16384]; /* one record's plaintext at most */
	int got = 0;

	*want_write = false;
	for (int i = 0; i < 64; i++) {
		ERR_clear_error();
		errno = 0;
		int n = SSL_read(ssl, buf, sizeof(buf));
		if (n > 0) {
			int rc = aw_linebuf_feed(lb, buf, (size_t)n);
			if (rc != AW_LINE_OK)
				return rc;
			got = 1;
			if (SSL_pending(ssl) > 0 || SSL_has_pending(ssl))
				continue;
			return AW_LINE_OK;
		}
		int e = SSL_get_error(ssl, n);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			*want_write = e == SSL_ERROR_WANT_WRITE;
			return got ? AW_LINE_OK : AW_LINE_AGAIN;
		}
		if (got)
			return AW_LINE_OK; /* the lines first; the error comes again */
		if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
						   errno == 0)) {
			ERR_clear_error();
			return AW_LINE_EOF;
		}
		aw_tls_reason(ssl, n, false);
		errno = EPROTO;
		return AW_LINE_ERROR;
	}
	return AW_LINE_OK;
}
