/* Buggy, 3 ranks. The master means to serve whichever worker asks, but
 * receives from rank 2 only: rank 1's request is never taken. The master
 * keeps serving rank 2 for a while (rank 1 is stuck while the others go
 * on), then stops rank 2 and finishes (rank 1 is stuck for good). */
#include <mpi.h>
#include <unistd.h>

enum { ASK = 1, WORK = 2, STOP = 3 };

int main(int argc, char **argv) {
    int rank, x = 0, task;
    MPI_Status status;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
        for (task = 0; task <= 40; task++) {
            MPI_Recv(&x, 1, MPI_INT, 2 /* should be MPI_ANY_SOURCE */, ASK, MPI_COMM_WORLD, &status);
            MPI_Send(&task, 1, MPI_INT, status.MPI_SOURCE, task < 40 ? WORK : STOP, MPI_COMM_WORLD);
        }
    } else {
        for (;;) {
            MPI_Send(&x, 1, MPI_INT, 0, ASK, MPI_COMM_WORLD);
            MPI_Recv(&x, 1, MPI_INT, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
            if (status.MPI_TAG == STOP)
                break;
            usleep(150000); /* the task */
        }
    }
    MPI_Finalize();
    return 0;
}
