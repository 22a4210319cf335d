/* Buggy, 2 ranks. Rank 0 opens an access epoch with MPI_Win_fence, a
 * collective call of the window's ranks; rank 1 first waits for a message
 * that rank 0 sends only after the fence. The watch does not follow
 * one-sided calls, so it cannot call this a deadlock: it names the call. */
#include <mpi.h>

int main(int argc, char **argv) {
    int rank, x = 0, exposed = 0;
    MPI_Win win;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Win_create(&exposed, sizeof exposed, sizeof exposed, MPI_INFO_NULL, MPI_COMM_WORLD, &win);
    if (rank == 1)
        MPI_Recv(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Win_fence(0, win);
    if (rank == 0)
        MPI_Send(&x, 1, MPI_INT, 1, 0, MPI_COMM_WORLD);
    MPI_Win_fence(0, win);
    MPI_Win_free(&win);
    MPI_Finalize();
    return 0;
}
