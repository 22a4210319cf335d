/* Correct, 4 ranks. 50 steps of a ring exchange with MPI_Irecv,
 * MPI_Isend and MPI_Waitall; rank 3 computes for 3 s at step 10. */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, size, step, sum = 0, out, in;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (step = 0; step < 50; step++) {
        MPI_Request requests[2];
        out = rank + step;
        if (rank == 3 && step == 10)
            sleep(3);
        MPI_Irecv(&in, 1, MPI_INT, (rank + size - 1) % size, step, MPI_COMM_WORLD, &requests[0]);
        MPI_Isend(&out, 1, MPI_INT, (rank + 1) % size, step, MPI_COMM_WORLD, &requests[1]);
        MPI_Waitall(2, requests, MPI_STATUSES_IGNORE);
        sum += in;
    }
    printf("rank %d: %d\n", rank, sum);
    MPI_Finalize();
    return 0;
}
