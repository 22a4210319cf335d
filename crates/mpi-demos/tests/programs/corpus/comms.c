/* Correct, 4 ranks. Communicators made every common way (dup, split, a
 * 2x2 Cartesian grid and its rows, a group of the even ranks), a
 * collective and a message on each, and a slow rank. */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, sum, dims[2] = {2, 2}, periods[2] = {0, 0}, keep[2] = {0, 1}, evens[2] = {0, 2}, x = 0;
    MPI_Comm dup, half, grid, row, even = MPI_COMM_NULL;
    MPI_Group world_group, even_group;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    MPI_Comm_split(MPI_COMM_WORLD, rank / 2, -rank, &half);
    MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &grid);
    MPI_Cart_sub(grid, keep, &row);
    MPI_Comm_group(MPI_COMM_WORLD, &world_group);
    MPI_Group_incl(world_group, 2, evens, &even_group);
    MPI_Comm_create(MPI_COMM_WORLD, even_group, &even);
    if (rank == 1)
        sleep(3);
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, dup);
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, half);
    MPI_Barrier(row);
    /* In each half, ranks are in reverse order: the even rank is rank 1. */
    if (even != MPI_COMM_NULL) {
        MPI_Allreduce(&rank, &x, 1, MPI_INT, MPI_MAX, even);
        MPI_Comm_free(&even);
    }
    if (rank % 2 == 0)
        MPI_Send(&rank, 1, MPI_INT, 0, 0, half);
    else
        MPI_Recv(&x, 1, MPI_INT, 1, 0, half, MPI_STATUS_IGNORE);
    printf("rank %d: half sum %d, got %d\n", rank, sum, x);
    MPI_Group_free(&even_group);
    MPI_Group_free(&world_group);
    MPI_Comm_free(&row);
    MPI_Comm_free(&grid);
    MPI_Comm_free(&half);
    MPI_Comm_free(&dup);
    MPI_Finalize();
    return 0;
}
