#include <mpi.h>

// MPI's handles are macros (casts of addresses in Open MPI, integers in MPICH) that
// Swift cannot import; these functions hand them over whatever the implementation.
static inline MPI_Comm clens_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Op clens_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Datatype clens_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype clens_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype clens_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype clens_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype clens_mpi_uint8(void) { return MPI_UINT8_T; }
static inline void *clens_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int clens_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline MPI_Status *clens_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int clens_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
