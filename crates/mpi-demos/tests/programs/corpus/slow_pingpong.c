/* Correct, 2 ranks. Rank 1 prepares for 3 s, so rank 0's first receive
 * waits longer than the watch's limit; then 100000 round trips. */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, i, x = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 1)
        sleep(3);
    for (i = 0; i < 100000; i++) {
        if (rank == 1) {
            MPI_Send(&i, 1, MPI_INT, 0, i % 7, MPI_COMM_WORLD);
            MPI_Recv(&x, 1, MPI_INT, 0, i % 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(&x, 1, MPI_INT, 1, i % 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(&x, 1, MPI_INT, 1, i % 7, MPI_COMM_WORLD);
        }
    }
    if (rank == 0)
        printf("rank 0: %d round trips, last %d\n", i, x);
    MPI_Finalize();
    return 0;
}
