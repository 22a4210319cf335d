/* Buggy, 3 ranks. A master hands out 10 tasks to workers that ask for
 * them (tag 1), answering with work (tag 2) or, once the tasks are gone,
 * stop (tag 3). Worker 2 receives only tag 2, so it never sees its stop. */
#include <mpi.h>
#include <unistd.h>

enum { ASK = 1, WORK = 2, STOP = 3 };

int main(int argc, char **argv) {
    int rank, size, task = 0, stopped = 0, x = 0;
    MPI_Status status;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) {
        while (stopped < size - 1) {
            MPI_Recv(&x, 1, MPI_INT, MPI_ANY_SOURCE, ASK, MPI_COMM_WORLD, &status);
            if (task < 10) {
                MPI_Send(&task, 1, MPI_INT, status.MPI_SOURCE, WORK, MPI_COMM_WORLD);
                task++;
            } else {
                MPI_Send(&task, 1, MPI_INT, status.MPI_SOURCE, STOP, MPI_COMM_WORLD);
                stopped++;
            }
        }
    } else {
        for (;;) {
            MPI_Send(&x, 1, MPI_INT, 0, ASK, MPI_COMM_WORLD);
            MPI_Recv(&x, 1, MPI_INT, 0, rank == 2 ? WORK : MPI_ANY_TAG, MPI_COMM_WORLD, &status);
            if (status.MPI_TAG == STOP)
                break;
            usleep(50000); /* the task */
        }
    }
    MPI_Finalize();
    return 0;
}
