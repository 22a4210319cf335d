/* Correct, 2 ranks. A persistent send and receive started 100 times with
 * MPI_Startall; rank 1 computes for 3 s at iteration 50. */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, i, out = 0, in = 0, sum = 0;
    MPI_Request requests[2];
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Send_init(&out, 1, MPI_INT, 1 - rank, 0, MPI_COMM_WORLD, &requests[0]);
    MPI_Recv_init(&in, 1, MPI_INT, 1 - rank, 0, MPI_COMM_WORLD, &requests[1]);
    for (i = 0; i < 100; i++) {
        out = i;
        if (rank == 1 && i == 50)
            sleep(3);
        MPI_Startall(2, requests);
        MPI_Waitall(2, requests, MPI_STATUSES_IGNORE);
        sum += in;
    }
    MPI_Request_free(&requests[0]);
    MPI_Request_free(&requests[1]);
    printf("rank %d: %d\n", rank, sum);
    MPI_Finalize();
    return 0;
}
