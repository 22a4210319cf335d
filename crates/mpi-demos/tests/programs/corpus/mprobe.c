/* Correct, 3 ranks. On a duplicate of the world, rank 0 takes two
 * messages of sizes it does not know, in arrival order, with MPI_Mprobe
 * and MPI_Mrecv; rank 2 sends after 3 s. */
#include <mpi.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int rank, i, count, data[8] = {0}, total = 0;
    MPI_Comm comm;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    if (rank == 0) {
        for (i = 0; i < 2; i++) {
            MPI_Message message;
            MPI_Status status;
            MPI_Mprobe(MPI_ANY_SOURCE, 3, comm, &message, &status);
            MPI_Get_count(&status, MPI_INT, &count);
            MPI_Mrecv(data, count, MPI_INT, &message, MPI_STATUS_IGNORE);
            total += count;
        }
        printf("rank 0 got %d numbers\n", total);
    } else {
        if (rank == 2)
            sleep(3);
        MPI_Send(data, rank * 3, MPI_INT, 0, 3, comm);
    }
    MPI_Comm_free(&comm);
    MPI_Finalize();
    return 0;
}
