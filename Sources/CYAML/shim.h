#ifndef ORCHESTRATOR_CYAML_SHIM_H
#define ORCHESTRATOR_CYAML_SHIM_H
#include <yaml.h>
#endif
