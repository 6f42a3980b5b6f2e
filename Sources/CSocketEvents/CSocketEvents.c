// Header-only: the declarations are in include/CSocketEvents.h.
#include "CSocketEvents.h"
