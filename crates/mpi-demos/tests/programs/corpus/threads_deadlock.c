/* Buggy, 2 ranks, MPI_THREAD_MULTIPLE. On rank 0 a thread waits for tag 1
 * from rank 1 while the main thread waits for tag 2; rank 1 waits for
 * rank 0 first. Every thread of both ranks is blocked: the rank is
 * released if any of its threads is, and none can be. */
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>

static void *listen(void *unused) {
    int x;
    (void)unused;
    MPI_Recv(&x, 1, MPI_INT, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return NULL;
}

int main(int argc, char **argv) {
    int rank, provided, x = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
        pthread_t listener;
        pthread_create(&listener, NULL, listen, NULL);
        MPI_Recv(&x, 1, MPI_INT, 1, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        pthread_join(listener, NULL);
    } else {
        MPI_Recv(&x, 1, MPI_INT, 0, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(&x, 1, MPI_INT, 0, 1, MPI_COMM_WORLD);
        MPI_Send(&x, 1, MPI_INT, 0, 2, MPI_COMM_WORLD);
    }
    MPI_Finalize();
    return 0;
}
