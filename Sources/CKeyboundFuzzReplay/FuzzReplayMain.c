// A weak entry point for the KeyboundFuzz executable (SwiftPM links `main` to `KeyboundFuzz_main`).
//
// Built with `--sanitize fuzzer`, libFuzzer's strong `main` replaces this one. In a plain build
// this replay driver runs each file named on the command line through LLVMFuzzerTestOneInput,
// so crashing inputs saved by libFuzzer can be replayed under a debugger.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "CKeyboundFuzzReplay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int keybound_fuzz_replay_marker(void) { return 0; }

__attribute__((weak)) int KeyboundFuzz_main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: KeyboundFuzz INPUT_FILE...\n"
                        "(build with `swift build --sanitize fuzzer --product KeyboundFuzz` to fuzz)\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        FILE *file = fopen(argv[i], "rb");
        if (!file) { perror(argv[i]); return 2; }
        uint8_t *buffer = NULL;
        size_t size = 0, capacity = 0, n;
        uint8_t chunk[4096];
        while ((n = fread(chunk, 1, sizeof chunk, file)) > 0) {
            if (size + n > capacity) {
                capacity = (size + n) * 2;
                uint8_t *grown = realloc(buffer, capacity);
                if (!grown) { free(buffer); fclose(file); return 2; }
                buffer = grown;
            }
            for (size_t j = 0; j < n; j++) buffer[size + j] = chunk[j];
            size += n;
        }
        fclose(file);
        LLVMFuzzerTestOneInput(buffer, size);
        free(buffer);
        printf("replayed %s (%zu bytes)\n", argv[i], size);
    }
    return 0;
}
