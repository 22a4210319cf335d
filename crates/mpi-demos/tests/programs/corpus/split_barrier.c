/* Buggy, 4 ranks. The ranks split into evens and odds, and each half
 * meets at a barrier of its own; rank 0 forgets its barrier and waits for
 * a message from rank 1 that never comes. */
#include <mpi.h>

int main(int argc, char **argv) {
    int rank, x = 0;
    MPI_Comm half;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
    if (rank == 0)
        MPI_Recv(&x, 1, MPI_INT, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Barrier(half);
    MPI_Comm_free(&half);
    MPI_Finalize();
    return 0;
}
