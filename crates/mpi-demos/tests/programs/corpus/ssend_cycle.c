/* Buggy, 2 ranks. Both send first, in synchronous mode: a synchronous
 * send completes only once the receive has started. */
#include <mpi.h>

int main(int argc, char **argv) {
    int rank, out = 1, in = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Ssend(&out, 1, MPI_INT, 1 - rank, 0, MPI_COMM_WORLD);
    MPI_Recv(&in, 1, MPI_INT, 1 - rank, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Finalize();
    return 0;
}
