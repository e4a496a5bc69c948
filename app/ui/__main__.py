"""``python -m app.ui [streamlit run options]``: the web app (see :mod:`app.ui.launch`)."""

from app.ui.launch import main

if __name__ == "__main__":
    main()
