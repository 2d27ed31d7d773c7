/* Replays a fuzz target's corpus without libFuzzer, so gcc builds compile
 * and run every target: each file (or each file in each directory) named
 * on the command line is fed to LLVMFuzzerTestOneInput once. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    long size;
    int rc = 1;

    if (!f)
        return 1;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        goto out;
    data = malloc((size_t)size + 1);
    if (!data || fread(data, 1, (size_t)size, f) != (size_t)size)
        goto out;
    LLVMFuzzerTestOneInput(data, (size_t)size);
    rc = 0;
out:
    free(data);
    fclose(f);
    return rc;
}

static int run_path(const char *path, int *count)
{
    struct stat st;
    DIR *dir;
    struct dirent *de;
    char child[4096];
    int rc = 0;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: cannot stat %s\n", path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    dir = opendir(path);
    if (!dir)
        return 1;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
        rc |= run_path(child, count);
    }
    closedir(dir);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0;
    int count = 0;
    int i;

    for (i = 1; i < argc; i++)
        rc |= run_path(argv[i], &count);
    /* An empty corpus would make this test pass without testing. */
    if (count == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    printf("replayed %d inputs\n", count);
    return rc;
}
