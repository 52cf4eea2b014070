// Package nb holds the small helpers that keep the project's GoNB notebooks (notebooks/*.ipynb) short:
// a cell reads the config, loads the model, calls one stage of the pipeline (packages stories, neutral,
// activations, vectors, geometry, logitlens) and shows what came out, in 5 to 20 lines.
//
// It holds no part of the method. Everything a notebook computes comes from the stage packages; this
// package only finds the config, loads the model, and turns results into HTML, Markdown and figures.
//
// # Where it sits
//
//	$EMOTION_PROBES_CONFIG (or ../config/tiny.yaml)  ->  Config  ->  *config.Config
//	cfg                                             ->  Model   ->  *Loaded (an *lm.Model and its file hash)
//	results (stories.Unit, drawing.Figure, ...)     ->  Stories, Dialogues, Table, Figure, Markdown  ->  the cell's output
//
// # How GoNB runs a cell, and what that means here
//
// GoNB compiles every cell, with the declarations of the cells before it, into a fresh program and runs it
// in the notebook's folder. Nothing in memory survives from one cell to the next: Model caches the loaded
// model for the rest of the cell only, so each cell that needs the model loads it (a second or two for
// SmolLM2-135M). Files survive, which is why every stage writes checkpoints: rerunning a cell resumes.
//
// # Errors
//
// Notebooks are the one place where Must and Must1 are used: they panic with a message that names what
// failed, GoNB shows the panic as the cell's error, and the headless runner (package jupyter) stops there
// and reports the notebook and cell. Library code returns errors instead.
//
// # Interactive cells
//
// ScoreBox (a text box whose tokens are coloured by emotion as you type) and SteerPlayground (an emotion
// menu and a strength slider that regenerate a steered continuation) are built on GoNB's widgets
// (gonbui/widgets, gonbui/comms): HTML and JavaScript in the cell's output that talk to the cell's program
// while it runs, until Done is pressed. They need a live front-end; LiveFrontEnd decides, from
// $EMOTION_PROBES_HEADLESS (set by the headless runners) or else a handshake with a timeout, and headless
// they show a static example. Either way the notebook keeps one static result.
//
// # Outside a notebook
//
// The display functions call gonbui, whose functions do nothing outside GoNB, so the helpers can be called
// from tests and programs; the *HTML variants (StoriesHTML, TableHTML, ...) return the HTML instead.
package nb
