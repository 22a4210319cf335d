/* Buggy, 2 ranks. The ends of a chain exchange with MPI_Sendrecv and
 * MPI_PROC_NULL on their open side; rank 1 receives with the wrong tag.
 * MPI_PROC_NULL waits for no one: only rank 1 is stuck. */
#include <mpi.h>

int main(int argc, char **argv) {
    int rank, out = 7, in = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0)
        MPI_Sendrecv(&out, 1, MPI_INT, 1, 0, &in, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    else
        MPI_Sendrecv(&out, 1, MPI_INT, MPI_PROC_NULL, 0, &in, 1, MPI_INT, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Finalize();
    return 0;
}
