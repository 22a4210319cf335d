/* Buggy, 4 ranks: the watch page's figure. Rank 0 waits for the first
 * answer from rank 1 or rank 2 (an OR); rank 1 waits for rank 0; ranks 2
 * and 3 make a communicator, and rank 2 waits at its barrier for rank 3,
 * which waits for rank 0 first. No rank can ever be released: a knot. */
#include <mpi.h>

int main(int argc, char **argv) {
    int rank, x = 0, a = 0, b = 0, index;
    MPI_Comm pair;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_split(MPI_COMM_WORLD, rank >= 2, rank, &pair);
    if (rank == 0) {
        MPI_Request requests[2];
        MPI_Irecv(&a, 1, MPI_INT, 1, 0, MPI_COMM_WORLD, &requests[0]);
        MPI_Irecv(&b, 1, MPI_INT, 2, 0, MPI_COMM_WORLD, &requests[1]);
        MPI_Waitany(2, requests, &index, MPI_STATUS_IGNORE);
        MPI_Send(&x, 1, MPI_INT, 1, 0, MPI_COMM_WORLD);
        MPI_Send(&x, 1, MPI_INT, 3, 0, MPI_COMM_WORLD);
        MPI_Wait(&requests[1 - index], MPI_STATUS_IGNORE);
    } else if (rank == 1) {
        MPI_Recv(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD);
    } else if (rank == 2) {
        MPI_Barrier(pair);
        MPI_Send(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD);
    } else {
        MPI_Recv(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Barrier(pair);
    }
    MPI_Comm_free(&pair);
    MPI_Finalize();
    return 0;
}
