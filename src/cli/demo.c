/* The demo service `bode dev` makes on its first start: a service, a live
 * and a test key, and the example templates, remembered in
 * BODE_DATA_DIR/demo.json (mode 0600: it holds keys) and printed on every
 * start so a newcomer can send a notification at once. */
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin_int.h"
#include "bode/alloc.h"
#include "bode/apikey.h"
#include "bode/rand.h"
#include "bode/store.h"
#include "bode/template.h"
#include "cli.h"

static const char *templates_dir(void)
{
    static const char *const candidates[] = {"templates",
                                             "/usr/share/bode/templates",
                                             "/usr/local/share/bode/templates"};
    const char *env = getenv("BODE_TEMPLATES_DIR");
    struct stat st;
    size_t i;

    if (env && *env)
        return env;
    for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
        if (stat(candidates[i], &st) == 0 && S_ISDIR(st.st_mode))
            return candidates[i];
    return NULL;
}

static int make_key(struct admin *a, const char *sid, enum bode_key_type type,
                    const char *name, char *out, size_t size)
{
    struct bode_api_key key;
    struct bode_apikey parts;
    enum bode_err err;

    memset(&key, 0, sizeof(key));
    key.type = type;
    snprintf(key.name, sizeof(key.name), "%s", name);
    if (bode_apikey_generate(sid, &parts) || bode_rand_uuid(key.id))
        return -1;
    memcpy(key.secret, parts.secret, sizeof(key.secret));
    key.created_at = bode_now_us();
    err = bode_apikey_format(&parts, name, out, size);
    if (!err)
        err = bode_store_key_put(a->redis, a->box, sid, &key);
    bode_apikey_release(&parts);
    memset(&key, 0, sizeof(key));
    return err ? -1 : 0;
}

static int write_demo(const char *path, json_t *demo)
{
    char *text = json_dumps(demo, JSON_INDENT(2) | JSON_SORT_KEYS);
    int fd;
    ssize_t n;
    int rc = -1;

    if (!text)
        return -1;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        n = write(fd, text, strlen(text));
        rc = n == (ssize_t)strlen(text) && fsync(fd) == 0 ? 0 : -1;
        close(fd);
    }
    free(text);
    return rc;
}

static json_t *create_demo(struct admin *a)
{
    struct bode_service s;
    char live[BODE_APIKEY_MAX_LEN + 1];
    char test[BODE_APIKEY_MAX_LEN + 1];
    const char *dir = templates_dir();

    if (bode_service_defaults(&s, "Bode demo") ||
        bode_store_service_put(a->redis, a->box, &s) ||
        make_key(a, s.id, BODE_KEY_LIVE, "demo live", live, sizeof(live)) ||
        make_key(a, s.id, BODE_KEY_TEST, "demo test", test, sizeof(test)))
        return NULL;
    /* A broken example file must not stop the demo: the importer has
     * already said which one. */
    if (dir)
        (void)bode_cli_template_import(a, s.id, dir, NULL);
    return json_pack("{s:s, s:s, s:s}", "service_id", s.id, "live_key", live,
                     "test_key", test);
}

int bode_dev_demo(const struct bode_config *cfg, const char *data_dir,
                  const char *redis_url)
{
    const char *host = cfg->listen_addr;
    int port = cfg->port;
    struct admin a;
    struct bode_template_rec *recs = NULL;
    char path[4200];
    json_t *demo = NULL;
    json_error_t jerr;
    const char *sid;
    size_t n = 0;
    size_t i;
    int rc = -1;

    memset(&a, 0, sizeof(a));
    a.cfg = *cfg;
    if (bode_admin_load_box(&a.cfg, &a.box) >= 0)
        return -1;
    a.redis = bode_redis_new(redis_url, 2000);
    if (!a.redis)
        goto out;
    snprintf(path, sizeof(path), "%s/demo.json", data_dir);
    demo = json_load_file(path, 0, &jerr);
    if (!demo) {
        demo = create_demo(&a);
        if (!demo || write_demo(path, demo))
            goto out;
    }
    sid = json_string_value(json_object_get(demo, "service_id"));
    if (!sid ||
        bode_store_template_list(a.redis, sid, BODE_CHANNEL_EMAIL, &recs, &n))
        goto out;
    printf("Demo service %s (keys also in %s):\n"
           "  live key: %s\n"
           "  test key: %s  (never delivered; statuses are simulated)\n",
           sid, path, json_string_value(json_object_get(demo, "live_key")),
           json_string_value(json_object_get(demo, "test_key")));
    if (n) {
        printf("Send an email with the test key:\n"
               "  curl -s http://%s:%d/v2/notifications/email \\\n"
               "    -H \"Authorization: Bearer $(bode token '%s')\" \\\n"
               "    -H 'Content-Type: application/json' \\\n"
               "    -d '{\"template_id\": \"%s\", \"email_address\": "
               "\"someone@example.com\", \"personalisation\": {}}'\n"
               "(the answer names any personalisation the template needs)\n",
               host, port, json_string_value(json_object_get(demo, "test_key")),
               recs[0].id);
    }
    rc = 0;
out:
    for (i = 0; i < n; i++)
        bode_template_rec_release(&recs[i]);
    bode_free(recs);
    json_decref(demo);
    bode_admin_close(&a);
    return rc;
}
