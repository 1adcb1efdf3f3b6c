/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl — shared declarations of the operator CLI's modules.
 *
 * Contract: a single-threaded, short-lived program. main (ctl_main.c) parses
 * the global options into struct ctl_opts and hands the command words to one
 * command function (ctl_dp.c: the data plane's API; ctl_mapd.c: the map
 * server's admin/registrar roles and the agent's status socket). Commands talk
 * through ctl_conn.c (one connection, one request line, one reply line) and
 * print through ctl_out.c (aligned tables, key/value lists).
 *
 * Exit codes: CTL_OK 0, CTL_ERR 1 (connection refused, timeout, an API error
 * reply, a malformed reply), CTL_USAGE 2 (bad command line). Every error is one
 * line on stderr starting with "anyway-ctl: ".
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#define CTL_PROG "anyway-ctl"

#define CTL_OK    0
#define CTL_ERR   1
#define CTL_USAGE 2

#define CTL_DEFAULT_SOCKET "/run/anyway/dataplane.sock"
#define CTL_DEFAULT_MAPD   "127.0.0.1:7810"
#define CTL_DEFAULT_AGENT  "/run/anyway/agent.sock"
#define CTL_DEFAULT_TIMEOUT_MS 5000

struct ctl_opts {
	const char *socket;  /* data plane API socket */
	const char *mapd;    /* HOST:PORT of the map server */
	const char *agent;   /* agent status socket */
	bool mapd_given;     /* --mapd on the command line: services etc. go there */
	bool json;           /* print raw replies */
	int timeout_ms;      /* per connect / reply */
};

/* One peer: where it is, how it is named in errors. */
enum ctl_peer_kind { CTL_PEER_DATAPLANE, CTL_PEER_MAPD, CTL_PEER_AGENT };

struct ctl_conn {
	enum ctl_peer_kind kind;
	const char *what;  /* "data plane" / "map server" / "agent" */
	const char *where; /* the socket path or HOST:PORT */
	int fd;
	int timeout_ms;
	void *lb;          /* struct aw_linebuf, owned */
};

/* ---- ctl_conn.c ---------------------------------------------------------- */
/* Connects to the peer (unix path, or HOST:PORT / [V6]:PORT for the map
 * server). On failure prints the error and returns CTL_ERR. */
int ctl_connect(struct ctl_conn *c, enum ctl_peer_kind kind, const struct ctl_opts *o);
/* Map server only: sends hello with the role and checks its reply. */
int ctl_hello(struct ctl_conn *c, const char *role);
/* Sends req (not stolen), reads one reply into *reply (raw line in *raw when
 * raw != NULL, caller free()s). A reply {"ok":false} prints
 * "anyway-ctl: <what>: <op>: <error>" and returns CTL_ERR (with *reply set).
 * Lines with "op":"ping" from the map server are skipped. */
int ctl_call(struct ctl_conn *c, json_t *req, json_t **reply, char **raw);
void ctl_close(struct ctl_conn *c);
/* Connect (+ hello for the map server), one call, close. role: NULL for the
 * data plane and the agent. */
int ctl_call_once(const struct ctl_opts *o, enum ctl_peer_kind kind, const char *role,
		  json_t *req, json_t **reply, char **raw);

/* ---- ctl_out.c ----------------------------------------------------------- */
struct ctl_table;
/* Column headers, NULL-terminated. */
struct ctl_table *ctl_table_new(const char *const *headers);
/* Appends a row of cells (copied); n must equal the number of headers. */
void ctl_table_row(struct ctl_table *t, const char *const *cells);
/* Prints headers and rows, columns aligned (two spaces apart), and frees t. */
void ctl_table_print(struct ctl_table *t);
/* Frees t without printing it. */
void ctl_table_free(struct ctl_table *t);
/* A JSON value as a cell: strings unquoted, null as "-", others compact. */
char *ctl_cell(const json_t *v);
/* "key  value" lines for the scalar members of obj, aligned, nested objects
 * flattened as "a.b"; arrays of objects printed as tables after them. Keys in
 * skip (NULL-terminated, may be NULL) are left out, and "ok" always is. */
void ctl_print_object(const json_t *obj, const char *const *skip);
/* A table of an array of objects: columns from the keys of all rows, first
 * seen first; "(none)" when empty. */
void ctl_print_array(const json_t *arr);

/* ---- commands ------------------------------------------------------------ */
/* argv[0] is the command word. Each returns a CTL_* exit code. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parses a decimal integer in [min, max] into *out; usage error naming what. */
int ctl_parse_int(const char *s, const char *what, long long min, long long max, long long *out);

/* One request to a peer (connect, hello when role != NULL, call, close); req
 * is stolen. In --json mode the raw reply goes to stdout (an error reply too).
 * *reply is NULL unless CTL_OK. */
int ctl_request(const struct ctl_opts *o, enum ctl_peer_kind kind, const char *role, json_t *req,
		json_t **reply);
/* An add/del reply as key/value lines (nothing in --json mode); frees it. */
int ctl_print_done(const struct ctl_opts *o, json_t *reply);
/* A cell for an endpoint: {addr, port} objects become "addr:port". */
char *ctl_endpoint_cell(const json_t *v);
/* Rows SERVICE SID DESTINATION PRIORITY WEIGHT, one per destination. */
void ctl_print_services(const json_t *services);
/* relay add / relay del (argv[1]) to the data plane or the map server. */
int ctl_relay_edit(const struct ctl_opts *o, enum ctl_peer_kind kind, int argc, char **argv);

int ctl_cmd_dataplane(const struct ctl_opts *o, int argc, char **argv, bool *handled);
int ctl_cmd_mapd(const struct ctl_opts *o, int argc, char **argv, bool *handled);

#endif /* CTL_H */
