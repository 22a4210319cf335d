/* Buggy, 3 ranks. Rank 0 collects one result per rank, counting itself
 * among the senders: it waits for a third result that no rank sends. */
#include <mpi.h>

int main(int argc, char **argv) {
    int rank, size, i, x;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) {
        for (i = 0; i < size; i++) /* should be size - 1 */
            MPI_Recv(&x, 1, MPI_INT, MPI_ANY_SOURCE, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
        MPI_Send(&rank, 1, MPI_INT, 0, 0, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return 0;
}
