/* Buggy, 2 ranks. Both make a duplicate of the world (a library's private
 * communicator, say); rank 0 reduces on the world, rank 1 on the
 * duplicate. Collectives match only on the same communicator. */
#include <mpi.h>

int main(int argc, char **argv) {
    int rank, one = 1, sum = 0;
    MPI_Comm library;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_dup(MPI_COMM_WORLD, &library);
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, rank == 0 ? MPI_COMM_WORLD : library);
    MPI_Comm_free(&library);
    MPI_Finalize();
    return 0;
}
