/* Round trips between ranks 0 and 1, as many as asked (argv[1]); each
 * rank prints its peak memory at the end, so that a test can check that
 * a traced run's memory does not grow with its trace. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

int main(int argc, char **argv) {
    int rank, x = 0;
    long i, n = argc > 1 ? atol(argv[1]) : 1000;
    struct rusage usage;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    for (i = 0; i < n; i++) {
        if (rank == 0) {
            MPI_Send(&x, 1, MPI_INT, 1, 0, MPI_COMM_WORLD);
            MPI_Recv(&x, 1, MPI_INT, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else if (rank == 1) {
            MPI_Recv(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD);
        }
    }
    getrusage(RUSAGE_SELF, &usage);
    printf("rank %d: %ld round trips, peak memory %ld KiB\n", rank, n, usage.ru_maxrss);
    MPI_Finalize();
    return 0;
}
