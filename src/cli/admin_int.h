/* Private to cli/: what the administration commands share. */
#ifndef BODE_CLI_ADMIN_H
#define BODE_CLI_ADMIN_H

#include <stdbool.h>
#include <stdio.h>

#include "bode/config.h"
#include "bode/redis.h"
#include "bode/secretbox.h"

/* An open administration session: configuration, Redis and the key that
 * seals secrets. */
struct admin {
    struct bode_config cfg;
    struct bode_redis *redis;
    struct bode_secretbox *box;
};

/* Loads configuration (honouring --config FILE anywhere in argv, which it
 * removes), falling back to the Redis and key of a `bode dev` running in
 * the current directory when none is configured, and connects. Prints a
 * one-line error and returns the exit code on failure, else -1. */
int bode_admin_open(int *argc, char **argv, struct admin *a);
void bode_admin_close(struct admin *a);

/* Loads the master key for cfg: BODE_SECRET_KEY, else
 * BODE_SECRET_KEY_FILE. Prints a one-line error on failure. */
int bode_admin_load_box(const struct bode_config *cfg,
                        struct bode_secretbox **box);

/* Reads a whole file (at most about 2 MB) into a new string for
 * bode_free; NULL if it cannot. */
char *bode_cli_read_file(const char *path);

struct bode_template_rec;
/* The CLI's JSON view of a stored template (new reference). */
struct json_t *bode_cli_template_json(const struct bode_template_rec *t);

/* Prints j (stolen) as indented JSON with sorted keys. Returns an exit
 * code. */
int bode_cli_print_json(struct json_t *j);

/* `bode service reply-to|sms-sender ...` (argv[1] names which). Returns
 * an exit code. */
int bode_cli_service_senders(struct admin *a, int argc, char **argv);

/* `bode service callbacks SID [--statuses LIST|--pause|--resume]`.
 * Returns an exit code. */
int bode_cli_service_callbacks(struct admin *a, int argc, char **argv);

/* The statuses a callback_statuses bit set stands for, as a JSON array
 * (new reference; 0 lists every final status). */
struct json_t *bode_cli_callback_statuses_json(unsigned bits);

/* `bode service inbound-number|inbound-callback ...` (argv[1] names
 * which). Returns an exit code. */
int bode_cli_service_inbound(struct admin *a, int argc, char **argv);

struct bode_service;
/* Adds the default reply-to and SMS sender ids of s to o (a service's JSON
 * view; NULL is ignored). */
void bode_cli_service_json_more(struct json_t *o, const struct bode_service *s);

/* `bode template create|import|list|show`. */
int bode_cmd_template_admin(int argc, char **argv);

/* Imports a template file or a folder of *.tmpl files into service sid,
 * printing "id version name" for each to out (NULL: silent). Returns an
 * exit code. */
int bode_cli_template_import(struct admin *a, const char *sid, const char *path,
                             FILE *out);

/* Makes (first time) and prints the demo service of a `bode dev` whose
 * data is in data_dir. Returns 0, or -1 when it cannot. */
int bode_dev_demo(const struct bode_config *cfg, const char *data_dir,
                  const char *redis_url);

#endif
