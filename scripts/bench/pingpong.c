/* The C baseline for pingpong: the same rounds, sizes and output as
 * crates/mpi-demos/src/bin/pingpong.rs, written directly against MPI.
 * Built by scripts/bench/run with mpicc. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    long sizes[64];
    int nsizes = 0, iters = 10000, warmup = 1000;
    const char *list = "0,8,64,1024,8192,65536,1048576,4194304";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--sizes") == 0) list = argv[i + 1];
        else if (strcmp(argv[i], "--iters") == 0) iters = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--warmup") == 0) warmup = atoi(argv[i + 1]);
    }
    char *copy = strdup(list);
    for (char *tok = strtok(copy, ","); tok && nsizes < 64; tok = strtok(NULL, ",")) sizes[nsizes++] = atol(tok);
    free(copy);

    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        if (rank == 0) fprintf(stderr, "error: c-pingpong needs 2 ranks\n");
        MPI_Finalize();
        return 2;
    }
    long largest = 0;
    for (int s = 0; s < nsizes; s++) if (sizes[s] > largest) largest = sizes[s];
    char *buf = calloc((size_t)largest + 64, 1);
    if (rank == 0) printf("bytes,latency_us,bandwidth_mb_s\n");
    for (int s = 0; s < nsizes; s++) {
        int n = sizes[s] > 65536 ? iters / 10 : iters, w = sizes[s] > 65536 ? warmup / 10 : warmup;
        if (n < 1) n = 1;
        if (w < 1) w = 1;
        if (rank < 2) {
            int peer = 1 - rank;
            double start = MPI_Wtime();
            for (int round = 0; round < w + n; round++) {
                if (round == w) start = MPI_Wtime();
                if (rank == 0) {
                    MPI_Send(buf, (int)sizes[s], MPI_BYTE, peer, 0, MPI_COMM_WORLD);
                    MPI_Recv(buf, (int)sizes[s], MPI_BYTE, peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                } else {
                    MPI_Recv(buf, (int)sizes[s], MPI_BYTE, peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                    MPI_Send(buf, (int)sizes[s], MPI_BYTE, peer, 0, MPI_COMM_WORLD);
                }
            }
            double latency_us = (MPI_Wtime() - start) / n / 2.0 * 1e6;
            if (rank == 0) printf("%ld,%.3f,%.2f\n", sizes[s], latency_us, latency_us > 0 ? sizes[s] / latency_us : 0.0);
        }
        MPI_Barrier(MPI_COMM_WORLD);
    }
    free(buf);
    MPI_Finalize();
    return 0;
}
