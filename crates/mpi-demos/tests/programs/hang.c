/* Programs that hang, in C, for the tests of `scripts/mpirun --watch`.
 * Nothing in them knows about the watch: it sees them from outside.
 *
 *   hang cycle      every rank receives from the rank on its right, then
 *                   sends to its left: a cycle of as many ranks as launched
 *   hang wrong-tag  rank 0 sends rank 1 a message with tag 3 and finishes;
 *                   rank 1 waits for tag 5
 *   hang finished   rank 0 finishes without sending; rank 1 waits for it
 *   hang fine       the cycle, broken: rank 0 sends first
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    int rank, size, value = 0;
    const char *mode = argc > 1 ? argv[1] : "cycle";
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int right = (rank + 1) % size, left = (rank + size - 1) % size;

    if (strcmp(mode, "cycle") == 0 || strcmp(mode, "fine") == 0) {
        if (strcmp(mode, "fine") == 0 && rank == 0)
            MPI_Send(&rank, 1, MPI_INT, left, 0, MPI_COMM_WORLD);
        MPI_Recv(&value, 1, MPI_INT, right, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (!(strcmp(mode, "fine") == 0 && rank == 0))
            MPI_Send(&rank, 1, MPI_INT, left, 0, MPI_COMM_WORLD);
    } else if (strcmp(mode, "wrong-tag") == 0) {
        if (rank == 0)
            MPI_Send(&rank, 1, MPI_INT, 1, 3, MPI_COMM_WORLD);
        if (rank == 1)
            MPI_Recv(&value, 1, MPI_INT, 0, 5, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else if (strcmp(mode, "finished") == 0) {
        if (rank == 1)
            MPI_Recv(&value, 1, MPI_INT, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    printf("rank %d done\n", rank);
    MPI_Finalize();
    return 0;
}
