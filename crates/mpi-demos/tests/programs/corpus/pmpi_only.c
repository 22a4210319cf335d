/* Correct, 2 ranks, calling the PMPI_ functions directly, as Open MPI's
 * Fortran bindings do: no profiling layer can see these calls. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv) {
    int rank, x = 5;
    PMPI_Init(&argc, &argv);
    PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0)
        PMPI_Send(&x, 1, MPI_INT, 1, 0, MPI_COMM_WORLD);
    else
        PMPI_Recv(&x, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    printf("rank %d has %d\n", rank, x);
    PMPI_Finalize();
    return 0;
}
