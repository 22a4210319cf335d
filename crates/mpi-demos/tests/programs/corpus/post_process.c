/* Correct, 2 ranks. Rank 0 sends its data, then works on its own for 5 s
 * outside MPI, while rank 1, done, waits in MPI_Finalize. */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, x = 42;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
        MPI_Send(&x, 1, MPI_INT, 1, 0, MPI_COMM_WORLD);
        sleep(5); /* post-processing */
        printf("rank 0 post-processed\n");
    } else {
        MPI_Recv(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        printf("rank 1 got %d\n", x);
    }
    MPI_Finalize();
    return 0;
}
