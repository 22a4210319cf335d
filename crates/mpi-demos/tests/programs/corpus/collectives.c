/* Correct, 4 ranks. Every kind of collective, blocking and not, on the
 * world; rank 3 computes for 3 s before the reduction, so the others wait
 * in it longer than the watch's limit. */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, size, i, x, sum, scan, exscan = 0, block, all[16], two[16], back[16];
    MPI_Request request;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    x = rank == 0 ? 10 : 0;
    MPI_Bcast(&x, 1, MPI_INT, 0, MPI_COMM_WORLD);
    for (i = 0; i < size; i++)
        two[i] = rank * 100 + i;
    MPI_Scatter(two, 1, MPI_INT, &block, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Gather(&rank, 1, MPI_INT, all, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Allgather(&rank, 1, MPI_INT, all, 1, MPI_INT, MPI_COMM_WORLD);
    MPI_Alltoall(two, 1, MPI_INT, back, 1, MPI_INT, MPI_COMM_WORLD);
    if (rank == 3)
        sleep(3);
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Reduce(&rank, &x, 1, MPI_INT, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Scan(&rank, &scan, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Exscan(&rank, &exscan, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Reduce_scatter_block(two, &block, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Iallreduce(&rank, &x, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
    MPI_Barrier(MPI_COMM_WORLD);
    printf("rank %d: sum %d scan %d exscan %d block %d back %d\n", rank, sum, scan, rank ? exscan : 0, block, back[1]);
    MPI_Finalize();
    return 0;
}
