/* Correct, 4 ranks. The master posts a receive for each worker and takes
 * results as they come (MPI_Waitany); one worker takes 3 s. */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, size, i, index, total = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) {
        int results[64];
        MPI_Request requests[64];
        for (i = 1; i < size; i++)
            MPI_Irecv(&results[i], 1, MPI_INT, i, 0, MPI_COMM_WORLD, &requests[i - 1]);
        for (i = 1; i < size; i++) {
            MPI_Waitany(size - 1, requests, &index, MPI_STATUS_IGNORE);
            total += results[index + 1];
        }
        printf("total %d\n", total);
    } else {
        int result = rank * rank;
        if (rank == 2)
            sleep(3);
        MPI_Send(&result, 1, MPI_INT, 0, 0, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return 0;
}
