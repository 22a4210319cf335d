/* Correct, 4 ranks. A 1-D halo exchange with MPI_Sendrecv, MPI_PROC_NULL
 * past both ends, and a ring shift with MPI_Sendrecv_replace; rank 0
 * computes for 3 s at step 5. */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, size, step, left, right, ghost_left = -1, ghost_right = -1, value;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    left = rank > 0 ? rank - 1 : MPI_PROC_NULL;
    right = rank < size - 1 ? rank + 1 : MPI_PROC_NULL;
    for (step = 0; step < 20; step++) {
        if (rank == 0 && step == 5)
            sleep(3);
        MPI_Sendrecv(&rank, 1, MPI_INT, right, 0, &ghost_left, 1, MPI_INT, left, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Sendrecv(&rank, 1, MPI_INT, left, 1, &ghost_right, 1, MPI_INT, right, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    value = rank;
    MPI_Sendrecv_replace(&value, 1, MPI_INT, (rank + 1) % size, 2, (rank + size - 1) % size, 2, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
    printf("rank %d: ghosts %d %d, shifted %d\n", rank, ghost_left, ghost_right, value);
    MPI_Finalize();
    return 0;
}
