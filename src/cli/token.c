/* `bode token`: a fresh Notify JWT for an API key, for curl and other
 * tools that cannot sign tokens themselves. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bode/apikey.h"
#include "bode/jwt.h"
#include "cli.h"

static const char usage[] =
    "usage: bode token [API_KEY]\n\n"
    "Prints a token for the key (or $BODE_API_KEY) signed as the official\n"
    "clients sign them. Notify refuses tokens more than 30 seconds old,\n"
    "so make a new one for each request:\n"
    "  curl -H \"Authorization: Bearer $(bode token \"$KEY\")\" ...\n";

int bode_cmd_token(int argc, char **argv)
{
    struct bode_apikey key;
    char token[1024];
    const char *text;
    enum bode_err err;

    if (bode_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return BODE_EXIT_OK;
    }
    text = argc > 1 ? argv[1] : getenv("BODE_API_KEY");
    if (argc > 2 || !text) {
        fputs(usage, stderr);
        return BODE_EXIT_USAGE;
    }
    if (bode_apikey_parse(text, strlen(text), &key, NULL)) {
        fputs("bode token: that is not an API key "
              "(NAME-SERVICE_ID-SECRET)\n",
              stderr);
        return BODE_EXIT_USAGE;
    }
    err = bode_jwt_sign(key.service_id, (int64_t)time(NULL), key.secret,
                        strlen(key.secret), token, sizeof(token));
    bode_apikey_release(&key);
    if (err) {
        fprintf(stderr, "bode token: %s\n", bode_err_str(err));
        return BODE_EXIT_FAIL;
    }
    puts(token);
    return BODE_EXIT_OK;
}
